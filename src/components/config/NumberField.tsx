import { Field } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { IntegerInput } from '../IntegerInput';
import { INPUT_WIDTH, SectionProps, withJsonData } from './settings';

type NumberKey = 'timeoutSeconds' | 'cacheTTLSeconds' | 'maxPages' | 'ovhRequestsPerMinute' | 'maxResponseBytes';

interface Props extends SectionProps {
  setting: NumberKey;
  label: string;
  description?: ReactNode;
  placeholder?: string;
  min?: number;
  testId: string;
}

/** An optional integer setting of `jsonData`: empty leaves it unset, so the backend's default applies. */
export function NumberField({
  options,
  onOptionsChange,
  setting,
  label,
  description,
  placeholder,
  min,
  testId,
}: Props) {
  const id = `servicestats-${setting}`;
  return (
    <Field label={label} description={description} htmlFor={id}>
      <IntegerInput
        id={id}
        data-testid={testId}
        width={INPUT_WIDTH / 3}
        placeholder={placeholder}
        min={min}
        value={options.jsonData[setting]}
        live
        onCommit={(value) => onOptionsChange(withJsonData(options, { [setting]: value }))}
      />
    </Field>
  );
}
