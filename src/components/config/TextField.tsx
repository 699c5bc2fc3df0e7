import { Field, Input } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { ServiceStatsOptions } from '../../types';
import { INPUT_WIDTH, SectionProps, withJsonData } from './settings';

/** The `jsonData` keys that hold text. */
type TextKey = {
  [K in keyof ServiceStatsOptions]-?: NonNullable<ServiceStatsOptions[K]> extends string ? K : never;
}[keyof ServiceStatsOptions];

interface Props extends SectionProps {
  setting: Exclude<TextKey, 'ovhAuthMethod' | 'onappApi' | 'onappFormat'>;
  label: string;
  description?: ReactNode;
  placeholder?: string;
  testId: string;
  /** Why a value is refused (shown under the red field), or `undefined` when it is accepted. */
  check?: (value: string) => string | undefined;
}

/** A plain text setting of `jsonData`. */
export function TextField({
  options,
  onOptionsChange,
  setting,
  label,
  description,
  placeholder,
  testId,
  check,
}: Props) {
  const id = `servicestats-${setting}`;
  const value = options.jsonData[setting] ?? '';
  const problem = check?.(value);
  return (
    <Field label={label} description={description} htmlFor={id} invalid={problem !== undefined} error={problem}>
      <Input
        id={id}
        data-testid={testId}
        width={INPUT_WIDTH}
        placeholder={placeholder}
        value={value}
        onChange={(event) => onOptionsChange(withJsonData(options, { [setting]: event.currentTarget.value }))}
      />
    </Field>
  );
}
