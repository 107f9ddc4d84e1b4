package servers

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Gin returns the API on a gin engine in release mode with gin's logger
// (to io.Discard), gin.Recovery and a body limit of 1 MiB
// (http.MaxBytesReader in a gin middleware); the handlers answer with
// c.JSON and bind with c.ShouldBindJSON. It sets gin's process-wide mode to
// release, which also keeps gin from printing its routes on stdout.
func Gin() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	s := NewStore()
	e := gin.New()
	e.Use(gin.LoggerWithWriter(io.Discard), gin.Recovery(), func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, bodyLimit)
		c.Next()
	})
	e.GET("/api/comments", func(c *gin.Context) {
		c.JSON(http.StatusOK, s.Page())
	})
	e.GET("/api/comments/:id", func(c *gin.Context) {
		cm, ok := s.Get(c.Param("id"))
		if !ok {
			c.JSON(http.StatusNotFound, gin.H{"error": "no such comment"})
			return
		}
		c.JSON(http.StatusOK, cm)
	})
	e.POST("/api/comments", func(c *gin.Context) {
		var nc NewComment
		if err := c.ShouldBindJSON(&nc); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": "invalid JSON body"})
			return
		}
		cm, ok := s.Create(nc)
		if !ok {
			c.JSON(http.StatusUnprocessableEntity, gin.H{"error": "text is required"})
			return
		}
		c.JSON(http.StatusCreated, cm)
	})
	return e
}
