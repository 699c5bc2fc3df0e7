import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { ServiceStatsOptions, ServiceStatsQuery, ServiceStatsSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<
  DataSource,
  ServiceStatsQuery,
  ServiceStatsOptions,
  ServiceStatsSecureJsonData
>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
