import { DataSourceSettings } from '@grafana/data';

import { ServiceStatsOptions, ServiceStatsSecureJsonData } from '../../types';

export type Settings = DataSourceSettings<ServiceStatsOptions, ServiceStatsSecureJsonData>;
export type SecretKey = keyof ServiceStatsSecureJsonData;

/** What every settings section receives from the config editor. */
export interface SectionProps {
  options: Settings;
  onOptionsChange: (options: Settings) => void;
}

/** Width of the settings inputs, in grid units. */
export const INPUT_WIDTH = 60;

/** Applies a patch to `jsonData`; a key set to `undefined` is removed, so the backend's default applies. */
export function withJsonData(options: Settings, patch: Partial<ServiceStatsOptions>): Settings {
  const jsonData: ServiceStatsOptions = { ...options.jsonData, ...patch };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) {
      delete jsonData[key as keyof ServiceStatsOptions];
    }
  }
  return { ...options, jsonData };
}

export function withSecret(options: Settings, key: SecretKey, value: string): Settings {
  return { ...options, secureJsonData: { ...options.secureJsonData, [key]: value } };
}

/** Forgets a stored secret: Grafana deletes it on save. */
export function withoutSecret(options: Settings, key: SecretKey): Settings {
  return {
    ...options,
    secureJsonFields: { ...options.secureJsonFields, [key]: false },
    secureJsonData: { ...options.secureJsonData, [key]: '' },
  };
}
