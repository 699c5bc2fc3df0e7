import type { ComboboxOption } from '@grafana/ui';
import { useEffect, useState } from 'react';

import { ResourceOption, ResourceParams, ResourcePath } from '../types';

/** What the editors need from the data source: its resource lists (easy to fake in tests). */
export interface OptionsSource {
  fetchOptions(path: ResourcePath, params?: ResourceParams): Promise<ResourceOption[]>;
}

export interface ResourceOptions {
  options: Array<ComboboxOption<string>>;
  /** True once the answer for the current path and parameters has arrived. */
  loaded: boolean;
  loading: boolean;
  error?: string;
}

interface Answer {
  key: string;
  options: Array<ComboboxOption<string>>;
  error?: string;
}

const NOT_REQUESTED: ResourceOptions = { options: [], loaded: false, loading: false };

/**
 * Loads the options of a resource route, again whenever the path or the parameters change. Pass
 * `undefined` as path to load nothing (e.g. the lines of an account not chosen yet).
 */
export function useResourceOptions(
  source: OptionsSource,
  path: ResourcePath | undefined,
  params: ResourceParams = {}
): ResourceOptions {
  const key = path ? `${path}?${JSON.stringify(params)}` : '';
  const [answer, setAnswer] = useState<Answer>();

  useEffect(() => {
    if (!path) {
      return;
    }
    let current = true;
    source.fetchOptions(path, params).then(
      (options) => current && setAnswer({ key, options: options.map(toComboboxOption) }),
      (error: unknown) => current && setAnswer({ key, options: [], error: errorMessage(error) })
    );
    return () => {
      current = false;
    };
    // `key` stands for path and params.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source, key]);

  if (!path) {
    return NOT_REQUESTED;
  }
  if (answer?.key !== key) {
    return { options: [], loaded: false, loading: true };
  }
  return { options: answer.options, loaded: true, loading: false, error: answer.error };
}

export function toComboboxOption({ value, text, description }: ResourceOption): ComboboxOption<string> {
  return description ? { value, label: text, description } : { value, label: text };
}

/** The message of a failed resource call (Grafana's FetchError carries it in `data.message`). */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { data, message, statusText } = error as {
      data?: { message?: string };
      message?: string;
      statusText?: string;
    };
    return data?.message || message || statusText || 'request failed';
  }
  return String(error);
}
