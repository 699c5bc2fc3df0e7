// Package ovh is the CDN bandwidth source: OnApp bandwidth statistics.
package onapp

import (
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// New builds the CDN bandwidth source.
func New(s *models.Settings, deps source.Deps) (source.Source, error) {
	return source.NotImplemented("CDN bandwidth (OnApp)"), nil
}
