import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { DataSourceDescription } from '@grafana/plugin-ui';
import { config } from '@grafana/runtime';
import { Divider, SecureSocksProxySettings, Text } from '@grafana/ui';
import React from 'react';

import { Selectors } from '../selectors';
import { ServiceStatsOptions, ServiceStatsSecureJsonData } from '../types';
import { AdvancedSettings } from './config/AdvancedSettings';
import { HighAvailabilitySettings } from './config/HighAvailabilitySettings';
import { OnAppSettings } from './config/OnAppSettings';
import { OvhSettings } from './config/OvhSettings';
import { PulseSettings } from './config/PulseSettings';

export const DOCS_LINK = 'https://github.com/opsdeck/servicestats#configure';

type Props = DataSourcePluginOptionsEditorProps<ServiceStatsOptions, ServiceStatsSecureJsonData>;

/**
 * One section per upstream source (each optional), the Secure SOCKS proxy when Grafana offers it
 * (private data source connect, for every source), then the shared tuning and, collapsed, high availability
 * (the Redis Grafana's replicas share).
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const sectionProps = { options, onOptionsChange };
  return (
    <>
      <DataSourceDescription dataSourceName="Service Stats" docsLink={DOCS_LINK} hasRequiredFields={false} />
      <Text element="p" color="secondary">
        Configure one, two or all three sources. A query for a source that is not configured reports the settings it
        lacks.
      </Text>
      <Divider />
      <OvhSettings {...sectionProps} />
      <Divider />
      <OnAppSettings {...sectionProps} />
      <Divider />
      <PulseSettings {...sectionProps} />
      <Divider />
      {config.secureSocksDSProxyEnabled && (
        <>
          <div data-testid={Selectors.ConfigEditor.secureSocksProxy}>
            <SecureSocksProxySettings options={options} onOptionsChange={onOptionsChange} />
          </div>
          <Divider />
        </>
      )}
      <AdvancedSettings {...sectionProps} />
      <Divider />
      <HighAvailabilitySettings {...sectionProps} />
    </>
  );
}
