// Package ovh is the Telephony QoS source: OVHcloud line statistics.
package ovh

import (
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// New builds the Telephony QoS source.
func New(s *models.Settings, deps source.Deps) (source.Source, error) {
	return source.NotImplemented("Telephony QoS (OVHcloud)"), nil
}
