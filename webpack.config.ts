// Extends the scaffolded build (.config/webpack/webpack.config.ts, not edited)
// the way create-plugin documents: this file wraps it and package.json's
// build/dev scripts point here.
//
// Addition: the dashboards of provisioning/dashboards/ (the demo's, one source
// of truth) are copied to dist/dashboards/ as importable copies for
// plugin.json's "includes", so that a user who installs the zip imports them
// from the data source's Dashboards tab. Grafana's import fills a
// `${DS_SERVICESTATS}` input with the data source it is imported for; the
// provisioned files name the demo's data source uid ("servicestats") instead.

import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';

import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

const PLUGIN_TYPE = 'opsdeck-servicestats-datasource';
// The uid provisioning/datasources/servicestats.yaml gives the demo's data source.
const PROVISIONED_UID = 'servicestats';
const INPUT = 'DS_SERVICESTATS';

// Returns the dashboard with every reference to the provisioned data source
// replaced by the `${DS_SERVICESTATS}` input, and the input declared in
// `__inputs` (the form of Grafana's "Export for sharing externally").
export function importableDashboard(json: string, file: string): string {
  const dashboard = JSON.parse(json);
  let references = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node === null || typeof node !== 'object') {
      return;
    }
    const obj = node as Record<string, unknown>;
    if (obj.type === PLUGIN_TYPE && 'uid' in obj) {
      if (obj.uid !== PROVISIONED_UID) {
        throw new Error(`${file}: a data source reference with uid ${String(obj.uid)}, expected ${PROVISIONED_UID}`);
      }
      obj.uid = `\${${INPUT}}`;
      references++;
    }
    Object.values(obj).forEach(walk);
  };
  walk(dashboard);
  if (references === 0) {
    throw new Error(`${file}: no reference to the ${PLUGIN_TYPE} data source`);
  }
  const importable = {
    __inputs: [
      {
        name: INPUT,
        label: 'Service Stats',
        description: 'The Service Stats data source the dashboard queries',
        type: 'datasource',
        pluginId: PLUGIN_TYPE,
        pluginName: 'Service Stats',
      },
    ],
    ...dashboard,
  };
  return JSON.stringify(importable, null, 2) + '\n';
}

const config = async (env: Env): Promise<Configuration> => {
  const baseConfig = await grafanaConfig(env);
  return {
    ...baseConfig,
    plugins: [
      ...(baseConfig.plugins ?? []),
      new CopyWebpackPlugin({
        patterns: [
          {
            from: '../provisioning/dashboards/*.json',
            to: 'dashboards/[name][ext]',
            transform: (content, absoluteFrom) => importableDashboard(content.toString('utf8'), absoluteFrom),
          },
        ],
      }),
    ],
  };
};

export default config;
