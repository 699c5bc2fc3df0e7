import { Field, SecretInput } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { INPUT_WIDTH, SecretKey, SectionProps, withoutSecret, withSecret } from './settings';

interface Props extends SectionProps {
  secret: SecretKey;
  label: string;
  description?: ReactNode;
  placeholder?: string;
  testId: string;
}

/** A write-only setting: shows "configured" with a Reset button once saved. */
export function SecretField({ options, onOptionsChange, secret, label, description, placeholder, testId }: Props) {
  const id = `servicestats-${secret}`;
  return (
    <Field label={label} description={description} htmlFor={id}>
      <SecretInput
        id={id}
        data-testid={testId}
        width={INPUT_WIDTH}
        placeholder={placeholder}
        isConfigured={Boolean(options.secureJsonFields?.[secret])}
        value={options.secureJsonData?.[secret] ?? ''}
        onChange={(event) => onOptionsChange(withSecret(options, secret, event.currentTarget.value))}
        onReset={() => onOptionsChange(withoutSecret(options, secret))}
      />
    </Field>
  );
}
