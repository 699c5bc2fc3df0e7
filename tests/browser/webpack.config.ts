/*
 * The browser test's page bundle (tests/browser/page → dist-harness/), built by `npm run build:harness`.
 *
 * Unlike the plugin's module.js (.config/webpack), whose React and @grafana/* packages are
 * externals provided by Grafana, this bundle holds them all: the page is the host. It is built in
 * development mode so that React's warnings reach the console, where the browser test fails on them.
 */
import CopyWebpackPlugin from 'copy-webpack-plugin';
import path from 'path';
import type { Configuration } from 'webpack';

// npm runs the build from the repository root (and __dirname is not defined when Node loads the
// config as an ES module).
const root = process.cwd();

const config: Configuration = {
  mode: 'development',
  devtool: process.env.HARNESS_SOURCE_MAPS ? 'source-map' : false,
  context: root,
  entry: { harness: './tests/browser/page/index.tsx' },
  output: {
    path: path.join(root, 'dist-harness'),
    filename: '[name].js',
    clean: { keep: /^(harness-server|screenshots)$/ },
  },
  cache: {
    type: 'filesystem',
    name: 'harness',
    buildDependencies: { config: [path.join(root, 'tests', 'browser', 'webpack.config.ts')] },
  },
  resolve: {
    extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.json'],
  },
  module: {
    rules: [
      {
        // The @grafana packages' ES modules import without file extensions.
        test: /\.m?js$/,
        resolve: { fullySpecified: false },
      },
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              target: 'es2020',
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'classic' } },
            },
          },
        },
      },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(png|jpe?g|gif|svg|woff2?|eot|ttf|otf)$/, type: 'asset/resource' },
    ],
  },
  plugins: [
    new CopyWebpackPlugin({
      patterns: [
        { from: 'tests/browser/page/index.html', to: '.' },
        { from: 'src/img', to: 'img' },
        // @grafana/ui's Icon loads its SVGs from Grafana's public/build/img/icons/.
        { from: 'node_modules/@grafana/ui/dist/public/img/icons', to: 'public/build/img/icons' },
        // Grafana serves its spinner beside them; @grafana/ui does not ship it.
        { from: 'tests/browser/page/icons/spinner.svg', to: 'public/build/img/icons/unicons/spinner.svg' },
      ],
    }),
  ],
  performance: { hints: false },
  stats: 'errors-warnings',
};

export default config;
