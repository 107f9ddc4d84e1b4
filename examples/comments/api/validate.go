package api

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/microkit-go/micro"
)

// Validate refuses a comment that is empty or longer than [MaxComment]
// characters once its spaces are trimmed, with a field error at
// "/comment": micro.JSON calls it, so POST /api/comments answers such a
// comment with a 422 problem listing it. It does not trim the comment.
func (c Comment) Validate() error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(c.Comment)); {
	case n == 0:
		return micro.Invalid(micro.FieldError{Pointer: "/comment", Detail: "comment must not be empty"})
	case n > MaxComment:
		return micro.Invalid(micro.FieldError{Pointer: "/comment",
			Detail: fmt.Sprintf("comment must be at most %d characters, not %d", MaxComment, n)})
	}
	return nil
}
