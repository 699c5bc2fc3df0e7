// Command gpx_servicestats is the Service Stats data-source plugin's backend.
// Grafana starts it and talks to it over gRPC (hashicorp go-plugin); run by
// hand it only prints go-plugin's refusal.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/opsdeck/servicestats/pkg/plugin"
)

func main() {
	if err := datasource.Manage(plugin.ID, plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
