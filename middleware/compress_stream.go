package middleware

import (
	"net/http"
	"sync/atomic"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// compressSlots counts the streams one Compress is compressing, up to
// max. The bound is there because a gzip writer holds its state for as
// long as the response lasts: a compressed stream holds 795 KiB more heap
// than an uncompressed one (measured through Default), so 200 open
// server-sent event streams would hold 155 MiB.
type compressSlots struct {
	max int64
	n   atomic.Int64
}

// acquire takes a slot, or reports false when all are taken.
func (s *compressSlots) acquire() bool {
	for {
		n := s.n.Load()
		if n >= s.max {
			return false
		}
		if s.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release gives back a slot taken by acquire.
func (s *compressSlots) release() { s.n.Add(-1) }

// compressIsStream reports whether a response of type ct, with header h,
// is a stream: of a streaming type, without a Content-Length.
func compressIsStream(h http.Header, ct string) bool {
	if !compressStreamType(ct) {
		return false
	}
	_, sized := compressContentLength(h)
	return !sized
}

// compressStreamType reports whether the Content-Type ct (parameters
// allowed) is a streaming type: text/event-stream or application/x-ndjson.
func compressStreamType(ct string) bool {
	ct, _ = httpsyntax.CutMediaType(ct)
	return httpsyntax.EqualFold(ct, "text/event-stream") || httpsyntax.EqualFold(ct, "application/x-ndjson")
}

// streamMode is the mode of a stream that may be compressed: gzip when a
// slot is free, else as it is.
func (cw *compressWriter) streamMode() compressMode {
	if cw.c.streams.acquire() {
		cw.slot = true
		return compressGzipping
	}
	return compressPass
}

// releaseSlot gives back the stream slot cw holds, if any.
func (cw *compressWriter) releaseSlot() {
	if cw.slot {
		cw.slot = false
		cw.c.streams.release()
	}
}
