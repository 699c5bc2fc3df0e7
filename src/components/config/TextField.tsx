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
  invalid?: boolean;
  error?: ReactNode;
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
  invalid,
  error,
}: Props) {
  const id = `servicestats-${setting}`;
  return (
    <Field label={label} description={description} htmlFor={id} invalid={invalid} error={error}>
      <Input
        id={id}
        data-testid={testId}
        width={INPUT_WIDTH}
        placeholder={placeholder}
        value={options.jsonData[setting] ?? ''}
        onChange={(event) => onOptionsChange(withJsonData(options, { [setting]: event.currentTarget.value }))}
      />
    </Field>
  );
}
