import { ConfigSection } from '@grafana/plugin-ui';
import React from 'react';

import { Selectors } from '../../selectors';
import { SecretField } from './SecretField';
import { SectionProps } from './settings';
import { TextField } from './TextField';

const ids = Selectors.ConfigEditor.pulse;

/** Usage — Pulse: API URL and token. */
export function PulseSettings(props: SectionProps) {
  return (
    <ConfigSection
      title="Usage — Pulse"
      description="Request logs and usage statistics from Pulse. Least privilege: create a read token, which cannot change anything."
    >
      <TextField {...props} setting="pulseUrl" label="URL" placeholder="https://pulse.example.com" testId={ids.url} />
      <SecretField {...props} secret="pulseToken" label="Token" testId={ids.token} />
    </ConfigSection>
  );
}
