import { createTheme, ThemeContext } from '@grafana/data';
import { GlobalStyles, PortalContainer } from '@grafana/ui';
import React from 'react';
import { createRoot } from 'react-dom/client';

import { Selectors } from '../../../src/selectors';
import { ServiceStatsOptions } from '../../../src/types';
import { App, EDITORS, EditorName } from './App';
import { installServices } from './services';

/**
 * The editors' browser harness: mounts the plugin's real editors with @grafana/ui's theme and
 * @grafana/runtime's services set as Grafana sets them. `?editor=query|config|variable` picks the
 * editor, `?theme=light` the light theme. Served by tests/browser/server, which answers the
 * editors' resource calls through the built plugin binary; driven by tests/browser/editors.e2e.mjs.
 */
declare global {
  interface Window {
    servicestatsSelectors?: typeof Selectors;
  }
}

async function main() {
  const params = new URLSearchParams(window.location.search);
  const editor = (params.get('editor') ?? 'query') as EditorName;
  if (!EDITORS.some(({ name }) => name === editor)) {
    throw new Error(`unknown editor ${editor}`);
  }
  const theme = createTheme({ colors: { mode: params.get('theme') === 'light' ? 'light' : 'dark' } });

  // The data source's settings as saved in Grafana (the server keeps the secrets).
  const response = await fetch('/harness/settings');
  if (!response.ok) {
    throw new Error(`GET /harness/settings: ${response.status}`);
  }
  const { jsonData } = (await response.json()) as { jsonData: ServiceStatsOptions };
  const { datasource } = installServices(jsonData);
  // The editors' test ids, so that the browser test uses the same ones as the unit tests.
  window.servicestatsSelectors = Selectors;

  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <App editor={editor} datasource={datasource} />
      <PortalContainer />
    </ThemeContext.Provider>
  );
}

main().catch((error: unknown) => {
  document.getElementById('root')!.textContent = `harness failed to start: ${String(error)}`;
  throw error;
});
