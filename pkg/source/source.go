// Package source defines what the data source expects of each upstream
// source (Telephony QoS, CDN bandwidth, Usage), and small helpers they share
// to answer queries and resource calls.
package source

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Source is one configured upstream source. The data source keeps one per
// query type and disposes of it with the instance.
type Source interface {
	// HandleQuery answers one query of the source's query type. Failures are
	// per-query error responses; it never panics on bad input.
	HandleQuery(ctx context.Context, q backend.DataQuery) backend.DataResponse
	// CheckHealth makes one cheap authenticated call and describes the
	// result in plain words ("3 billing accounts visible").
	CheckHealth(ctx context.Context) (string, error)
	// Resources serves the source's resource routes, below "/<prefix>/".
	Resources() http.Handler
	// Dispose releases connections.
	Dispose()
}

// Deps are what the data source hands every source it builds.
type Deps struct {
	Logger log.Logger
	// InstanceID distinguishes data sources, so that two never share cached
	// answers or rate budgets.
	InstanceID string
}

// Factory builds a source from complete settings.
type Factory func(s *models.Settings, deps Deps) (Source, error)

// Option is a resource answer: one entry of a drop-down or a variable.
type Option struct {
	Value       string `json:"value"`
	Text        string `json:"text"`
	Description string `json:"description,omitempty"`
}

// WriteJSON answers a resource call with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers a resource call with {"message": message}, the shape
// Grafana's frontend shows for a failed resource call. The message is
// cleaned (upstream.Clean) of the secrets CleanResources gave w, and
// bounded.
func WriteError(w http.ResponseWriter, status int, message string) {
	WriteJSON(w, status, map[string]string{"message": upstream.Clean(message, secretsOf(w))})
}

// WriteFailure answers a resource call that failed: upstream failures keep
// their plain-words message and a matching status; anything else is a 500.
// Every message is cleaned like WriteError's.
func WriteFailure(w http.ResponseWriter, err error) {
	var ue *upstream.Error
	var bq *upstream.BadQueryError
	switch {
	case errors.As(err, &ue):
		WriteError(w, resourceStatus(ue), ue.Message)
	case errors.As(err, &bq):
		WriteError(w, http.StatusBadRequest, bq.Error())
	default:
		WriteError(w, http.StatusInternalServerError, err.Error())
	}
}

func resourceStatus(e *upstream.Error) int {
	switch e.Kind {
	case upstream.KindTimeout:
		return http.StatusGatewayTimeout
	case upstream.KindRateGuard:
		return http.StatusTooManyRequests
	case upstream.KindHTTP:
		if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
			e.Status == http.StatusNotFound || e.Status == http.StatusTooManyRequests {
			return e.Status
		}
	}
	return http.StatusBadGateway
}
