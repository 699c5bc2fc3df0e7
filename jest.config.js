// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const baseConfig = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// The scaffold's transform only matches .js/.jsx/.ts/.tsx, but @grafana/data 13.1 pulls d3-color 3.1.1
// whose entry is an .mjs file: reuse the same @swc/jest transform for .mjs files.
const [swcTransform] = Object.values(baseConfig.transform);

// ES-module-only packages that @grafana/plugin-ui 0.18 imports, transformed like Grafana's own.
const pluginUiESModules = ['@marcbachmann/cel-js'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...baseConfig,
  transform: {
    ...baseConfig.transform,
    '^.+\\.mjs$': swcTransform,
  },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, ...pluginUiESModules])],
  // Editor tests drive real @grafana/ui comboboxes; give them room on a busy 2-core machine (a test
  // picking four options took 12 s with five jobs sharing two cores). A guard against a hang, not a
  // speed goal.
  testTimeout: 60000,
};
