// Package ovh is the Usage source: Pulse usage statistics.
package pulse

import (
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// New builds the Usage source.
func New(s *models.Settings, deps source.Deps) (source.Source, error) {
	return source.NotImplemented("Usage (Pulse)"), nil
}
