import {
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePluginMeta,
  DataSourceRef,
  DataSourceSettings,
  PluginType,
} from '@grafana/data';
import { config, DataSourceSrv, setBackendSrv, setDataSourceSrv } from '@grafana/runtime';

import { DataSource } from '../../../src/datasource';
import pluginJson from '../../../src/plugin.json';
import { installTemplateSrv } from '../../../src/test/templateSrv';
import { ServiceStatsOptions, ServiceStatsSecureJsonData } from '../../../src/types';
import { HarnessBackendSrv } from './backendSrv';

/** The uid the harness server answers resources for (tests/browser/server). */
export const DATASOURCE_UID = 'servicestats';

/** The dashboard's template variables as the editors see them. */
export const TEMPLATE_VARIABLES = [
  { name: 'billingAccount', current: ['ab12345-ovh-1', 'cd67890-ovh-1'] },
  { name: 'line', current: '$__all', options: ['0033123456789', '0033123456790', '0033123456791'] },
  { name: 'enterprise', current: 'ent-acme' },
];

const meta = {
  id: pluginJson.id,
  name: pluginJson.name,
  type: PluginType.datasource,
  module: `public/plugins/${pluginJson.id}/module.js`,
  baseUrl: `public/plugins/${pluginJson.id}`,
  backend: true,
  metrics: true,
  alerting: true,
  info: {
    ...pluginJson.info,
    author: { name: pluginJson.info.author.name },
    logos: { small: 'img/logo.svg', large: 'img/logo.svg' },
    links: [],
    screenshots: [],
    version: 'harness',
    updated: '',
  },
} as DataSourcePluginMeta<ServiceStatsOptions>;

export function instanceSettings(jsonData: ServiceStatsOptions): DataSourceInstanceSettings<ServiceStatsOptions> {
  return {
    id: 1,
    uid: DATASOURCE_UID,
    type: pluginJson.id,
    name: pluginJson.name,
    meta,
    readOnly: false,
    jsonData,
    access: 'proxy',
  };
}

/** A data source being added in Grafana's "Add data source" page: nothing configured yet. */
export function newDataSourceSettings(): DataSourceSettings<ServiceStatsOptions, ServiceStatsSecureJsonData> {
  return {
    id: 2,
    uid: 'servicestats-new',
    orgId: 1,
    name: 'Service Stats',
    type: pluginJson.id,
    typeName: pluginJson.name,
    typeLogoUrl: `public/plugins/${pluginJson.id}/img/logo.svg`,
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: {},
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
  };
}

/** Resolves the one data source of the page, by uid or by name. */
class HarnessDataSourceSrv implements DataSourceSrv {
  constructor(
    private readonly datasource: DataSource,
    private readonly settings: DataSourceInstanceSettings<ServiceStatsOptions>
  ) {}

  private matches(ref?: DataSourceRef | string | null): boolean {
    if (ref === undefined || ref === null) {
      return true;
    }
    const key = typeof ref === 'string' ? ref : ref.uid;
    return key === undefined || key === this.settings.uid || key === this.settings.name;
  }

  async get(ref?: DataSourceRef | string | null): Promise<DataSourceApi> {
    if (!this.matches(ref)) {
      throw new Error(`Unknown data source ${JSON.stringify(ref)}`);
    }
    // Grafana's registry holds every plugin's instance under the base type.
    return this.datasource as unknown as DataSourceApi;
  }

  getList() {
    return [this.settings];
  }

  getInstanceSettings(ref?: DataSourceRef | string | null) {
    return this.matches(ref) ? this.settings : undefined;
  }

  async reload() {}

  registerRuntimeDataSource(): void {
    throw new Error('runtime data sources are not supported by the harness');
  }
}

/**
 * Sets @grafana/runtime's services as Grafana does before a plugin's editors render, and
 * constructs the plugin's real DataSource with the settings the server configured. The runtime
 * config is a Grafana whose Secure SOCKS proxy (private data source connect) is on, so that the
 * config editor offers it.
 */
export function installServices(jsonData: ServiceStatsOptions) {
  config.secureSocksDSProxyEnabled = true;
  const backendSrv = new HarnessBackendSrv();
  setBackendSrv(backendSrv);
  installTemplateSrv(TEMPLATE_VARIABLES);
  const settings = instanceSettings(jsonData);
  const datasource = new DataSource(settings);
  setDataSourceSrv(new HarnessDataSourceSrv(datasource, settings));
  return { backendSrv, datasource };
}
