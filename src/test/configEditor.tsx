import { ConfigEditor } from '../components/ConfigEditor';
import { Settings } from '../components/config/settings';
import { ServiceStatsOptions } from '../types';
import { renderControlled } from './render';

/** The data source settings the config editor is given, without the deprecated (yet required) `database` field. */
export function configSettings(
  jsonData: ServiceStatsOptions = {},
  secureJsonFields: Settings['secureJsonFields'] = {}
): Settings {
  return {
    id: 1,
    uid: 'service-stats',
    orgId: 1,
    name: 'Service Stats',
    type: 'opsdeck-servicestats-datasource',
    typeName: 'Service Stats',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    readOnly: false,
    withCredentials: false,
    jsonData,
    secureJsonFields,
  } as Settings;
}

/** Renders the config editor as Grafana holds it, with the latest jsonData and secureJsonData at hand. */
export function renderConfigEditor(initial: Settings) {
  const view = renderControlled(ConfigEditor, initial, (options, onOptionsChange) => ({ options, onOptionsChange }));
  return { ...view, jsonData: () => view.last()?.jsonData, secrets: () => view.last()?.secureJsonData };
}
