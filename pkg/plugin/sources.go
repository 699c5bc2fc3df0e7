package plugin

import (
	"fmt"
	"strings"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/onapp"
	"github.com/opsdeck/servicestats/pkg/ovh"
	"github.com/opsdeck/servicestats/pkg/pulse"
	"github.com/opsdeck/servicestats/pkg/source"
)

// sourceSpec ties a query type to the source that answers it.
type sourceSpec struct {
	queryType      string
	resourcePrefix string // resource routes live below /<prefix>/
	name           string // for messages: "Telephony QoS (OVHcloud)"
	configured     func(*models.Settings) bool
	missing        func(*models.Settings) []string
	check          func(*models.Settings) error // the source's own settings problems
	factory        source.Factory
}

var sourceSpecs = []sourceSpec{
	{
		queryType: models.QueryTypeTelephony, resourcePrefix: "telephony", name: "Telephony QoS (OVHcloud)",
		configured: func(s *models.Settings) bool { return s.OVH.Configured() },
		missing:    func(s *models.Settings) []string { return s.OVH.Missing() },
		check:      func(s *models.Settings) error { return s.OVH.Check() },
		factory:    ovh.New,
	},
	{
		queryType: models.QueryTypeCDNBandwidth, resourcePrefix: "cdn", name: "CDN bandwidth (OnApp)",
		configured: func(s *models.Settings) bool { return s.OnApp.Configured() },
		missing:    func(s *models.Settings) []string { return s.OnApp.Missing() },
		check:      func(s *models.Settings) error { return s.OnApp.Check() },
		factory:    onapp.New,
	},
	{
		queryType: models.QueryTypeUsage, resourcePrefix: "usage", name: "Usage (Pulse)",
		configured: func(s *models.Settings) bool { return s.Pulse.Configured() },
		missing:    func(s *models.Settings) []string { return s.Pulse.Missing() },
		check:      func(s *models.Settings) error { return s.Pulse.Check() },
		factory:    pulse.New,
	},
}

// build makes the slot of one source: the source itself when its settings
// are complete and right, else the reason in plain words. A problem in one
// source's settings (a malformed URL, a credential that cannot be sent)
// fails that source alone: the other sources still answer.
func (spec sourceSpec) build(cfg *models.Settings, deps source.Deps) *slot {
	sl := &slot{spec: spec, configured: spec.configured(cfg)}
	missing, problem := spec.missing(cfg), spec.check(cfg)
	switch {
	case !sl.configured:
		sl.reason = fmt.Sprintf("%s is not configured in this data source: set %s in its settings",
			spec.name, strings.Join(spec.missing(cfg), ", "))
	case len(missing) > 0:
		sl.reason = fmt.Sprintf("%s is not fully configured: set %s in the data source settings",
			spec.name, strings.Join(missing, ", "))
	case problem != nil:
		sl.reason = fmt.Sprintf("%s cannot start: %v", spec.name, problem)
	default:
		src, err := spec.factory(cfg, deps)
		if err != nil {
			sl.reason = fmt.Sprintf("%s cannot start: %v", spec.name, err)
		} else {
			sl.src = src
		}
	}
	return sl
}
