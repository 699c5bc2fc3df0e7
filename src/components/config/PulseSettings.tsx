import { ConfigSection } from '@grafana/plugin-ui';
import React from 'react';

import { Selectors } from '../../selectors';
import { SecretField } from './SecretField';
import { SectionProps } from './settings';
import { TextField } from './TextField';
import { TlsSettings } from './TlsSettings';
import { urlProblem } from './validation';

const ids = Selectors.ConfigEditor.pulse;

/** Usage — Pulse: API URL, token and TLS. */
export function PulseSettings(props: SectionProps) {
  return (
    <ConfigSection
      title="Usage — Pulse"
      description="Request logs and usage statistics from Pulse. Least privilege: create a read token, which cannot change anything."
    >
      <TextField
        {...props}
        setting="pulseUrl"
        label="URL"
        placeholder="https://pulse.example.com"
        testId={ids.url}
        check={urlProblem}
      />
      <SecretField {...props} secret="pulseToken" label="Token" testId={ids.token} />
      <TlsSettings {...props} source="pulse" server="the Pulse server" />
    </ConfigSection>
  );
}
