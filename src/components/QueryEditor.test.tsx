import { screen } from '@testing-library/react';

import type { DataSource } from '../datasource';
import { Selectors } from '../selectors';
import { fakeOptionsSource, settle } from '../test/fakes';
import { renderControlled } from '../test/render';
import { installTemplateSrv } from '../test/templateSrv';
import { ServiceStatsQuery, TelephonyQuery } from '../types';
import { QueryEditor } from './QueryEditor';

const datasourceRef = { type: 'opsdeck-servicestats-datasource', uid: 'service-stats' };

const telephony: TelephonyQuery = {
  refId: 'A',
  datasource: datasourceRef,
  queryType: 'telephony',
  billingAccount: 'ab11111-ovh-1',
  lines: ['0033100000001'],
  metrics: ['maxJitter'],
  timeframe: 'daily',
  mosScale: 'mos',
};

function renderEditor(initial: ServiceStatsQuery) {
  const { source, fetchOptions } = fakeOptionsSource({
    'telephony/billing-accounts': [{ value: 'ab11111-ovh-1', text: 'ab11111-ovh-1' }],
    'telephony/lines?billingAccount=ab11111-ovh-1': [{ value: '0033100000001', text: 'Reception' }],
  });
  const onRunQuery = jest.fn();
  const datasource = source as unknown as DataSource;
  const view = renderControlled(QueryEditor, initial, (query, onChange) => ({
    query,
    datasource,
    onChange,
    onRunQuery,
  }));
  return { ...view, onRunQuery, fetchOptions };
}

beforeEach(() => {
  installTemplateSrv();
});

describe('QueryEditor', () => {
  it('switches to the default CDN query, keeping refId and the data source', async () => {
    const { user, last, onRunQuery, fetchOptions } = renderEditor(telephony);
    await settle(fetchOptions);

    await user.click(screen.getByLabelText('CDN bandwidth'));

    expect(last()).toEqual({
      refId: 'A',
      datasource: datasourceRef,
      queryType: 'cdnBandwidth',
      type: 'GB',
      groupBy: '',
      resources: [],
      locations: [],
    });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByLabelText('Traffic (GB)')).toBeChecked();
  });

  it('switches to the default usage query', async () => {
    const { user, last, fetchOptions } = renderEditor(telephony);
    await settle(fetchOptions);

    await user.click(screen.getByLabelText('Usage'));

    expect(last()).toEqual({
      refId: 'A',
      datasource: datasourceRef,
      queryType: 'usage',
      report: 'requests',
      enterpriseId: '',
      limit: 500,
    });
  });

  it('does nothing when the current type is picked again', async () => {
    const { user, onChange, fetchOptions } = renderEditor(telephony);
    await settle(fetchOptions);

    await user.click(screen.getByLabelText('Telephony QoS'));

    expect(onChange).not.toHaveBeenCalled();
  });

  it('keeps the cache bypass in a collapsed Options row, and turns it on and off', async () => {
    const { user, last, onRunQuery, fetchOptions } = renderEditor(telephony);
    await settle(fetchOptions);

    expect(screen.queryByTestId(Selectors.QueryEditor.noCache)).not.toBeInTheDocument();
    expect(screen.getByText('Cache: used')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /Options/ }));

    await user.click(screen.getByLabelText('Bypass cache'));
    expect(last()).toEqual({ ...telephony, noCache: true });

    await user.click(screen.getByTestId(Selectors.QueryEditor.noCache));
    expect(last()).toEqual(telephony);
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('says in the collapsed Options row that the cache is bypassed', async () => {
    const { fetchOptions } = renderEditor({ ...telephony, noCache: true });
    await settle(fetchOptions);

    expect(screen.getByText('Cache: bypassed')).toBeInTheDocument();
    expect(screen.queryByTestId(Selectors.QueryEditor.noCache)).not.toBeInTheDocument();
  });

  it('edits a query saved without a type as a telephony query', async () => {
    const { fetchOptions } = renderEditor({ refId: 'A' } as ServiceStatsQuery);
    await settle(fetchOptions);

    expect(screen.getByLabelText('Telephony QoS')).toBeChecked();
    expect(screen.getByTestId(Selectors.QueryEditor.telephony.billingAccount)).toBeInTheDocument();
  });
});
