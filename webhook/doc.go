// Package webhook verifies the HMAC-SHA256 signature of a webhook request
// over the exact bytes of its body, before anything decodes them: the
// Standard Webhooks scheme ([Standard]), GitHub's ([GitHub]) and Stripe's
// ([Stripe]).
//
// Threat model: anyone can send a request to a webhook URL. A [Verifier]
// accepts only a body signed with one of its secrets, and, for the schemes
// that sign a timestamp, signed within a tolerance of the server's clock,
// so a captured delivery can be replayed only for that long. Replays
// within the tolerance are not detected: store the delivery's ID (the
// webhook-id header, X-GitHub-Delivery, the Stripe event's id) in your
// database or Redis and refuse one seen before.
//
// Each secret is tried, and each signature of the request compared with it
// in constant time, with no early exit, so neither the timing nor the
// answer tells which secret matched; list the old and the new secret while
// rotating them. Header parsing is bounded: a signature header over
// [MaxHeaderBytes] or holding over [MaxSignatures] signatures is refused
// before any HMAC is computed.
//
// [Verifier.Verify] reads the body with micro.Buffer, so the body limit,
// the gzip and deflate request bodies and the read-once rule are those of
// micro.JSON, and a later micro.JSON(r) decodes the very bytes verified.
// A body with Content-Encoding gzip is verified after inflating: the
// providers sign the payload they send, before any compression of it.
//
// Every refusal is a [*micro.Error], answered by [Verifier.Handler] as an
// RFC 9457 problem through send.Error:
//
//   - 401: no signature header; no signature that matches a secret;
//     a timestamp further than the tolerance from the server's clock.
//   - 400: a signature header present but unusable: a missing or
//     malformed ID or timestamp, a header twice or over [MaxHeaderBytes],
//     over [MaxSignatures] signatures, a GitHub signature that is not
//     "sha256=" and 64 hex digits.
//   - the errors of micro.Buffer: 413 for a body over the limit, 400 for a
//     body that does not inflate or cannot be read, 415 for an unknown
//     Content-Encoding.
//
// The details never show the expected signature nor which secret was
// tried. The 401 carries no WWW-Authenticate header: no HTTP
// authentication scheme is registered for webhook signatures, and senders
// read the status only.
package webhook
