import { screen, waitFor } from '@testing-library/react';

import { Selectors } from '../selectors';
import { fakeOptionsSource, FakeAnswers, pickOption, settle, typeCustomValue } from '../test/fakes';
import { renderSubEditor } from '../test/render';
import { installTemplateSrv } from '../test/templateSrv';
import { TelephonyQuery } from '../types';
import { lineOption, METRIC_OPTIONS, mosScaleApplies, nextLines, TelephonyQueryEditor } from './TelephonyQueryEditor';

const answers: FakeAnswers = {
  'telephony/billing-accounts': [
    { value: 'ab11111-ovh-1', text: 'ab11111-ovh-1 — Head office' },
    { value: 'ab22222-ovh-1', text: 'ab22222-ovh-1 — Shops' },
  ],
  'telephony/lines?billingAccount=ab11111-ovh-1': [
    { value: '0033100000001', text: 'Reception', description: 'sip' },
    { value: '0033100000002', text: 'Sales' },
  ],
  'telephony/lines?billingAccount=ab22222-ovh-1': [{ value: '0033200000001', text: 'Shop Lyon' }],
  'telephony/lines?billingAccount=$ba': [{ value: '0033900000001', text: 'Line of the variable' }],
  'telephony/lines?billingAccount=*': [
    { value: '0033100000001', text: 'Reception' },
    { value: '0033100000002', text: 'Sales' },
    { value: '0033200000001', text: 'Shop Lyon' },
  ],
  'telephony/metrics': [
    { value: 'maxDelay', text: 'Max delay' },
    { value: 'maxJitter', text: 'Max jitter' },
    { value: 'rtpMos', text: 'MOS' },
    { value: 'sumRtpLost', text: 'Lost RTP packets' },
  ],
};

const query = (patch: Partial<TelephonyQuery> = {}): TelephonyQuery => ({
  refId: 'A',
  queryType: 'telephony',
  billingAccount: '',
  lines: [],
  metrics: ['rtpMos'],
  timeframe: 'auto',
  mosScale: 'raw',
  ...patch,
});

beforeEach(() => {
  installTemplateSrv([
    { name: 'ba', current: 'ab11111-ovh-1' },
    { name: 'line', current: ['0033100000001'] },
  ]);
});

describe('TelephonyQueryEditor', () => {
  it('picks the first account once loaded, with all of its lines', async () => {
    const { source } = fakeOptionsSource(answers);
    const { last, onRunQuery } = renderSubEditor(TelephonyQueryEditor, query(), source);

    await waitFor(() => expect(last()).toEqual(query({ billingAccount: 'ab11111-ovh-1', lines: ['*'] })));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('leaves a saved query alone', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab22222-ovh-1', lines: ['0033200000001'], metrics: ['maxJitter'] });
    const { onChange } = renderSubEditor(TelephonyQueryEditor, saved, source);

    await settle(fetchOptions);

    expect(fetchOptions).toHaveBeenCalledWith('telephony/lines', { billingAccount: 'ab22222-ovh-1' });
    expect(onChange).not.toHaveBeenCalled();
  });

  it('selects all lines of another account when it is picked', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, onChange, last } = renderSubEditor(TelephonyQueryEditor, saved, source);

    await pickOption(user, 'Billing account', 'ab22222-ovh-1 — Shops');
    await settle(fetchOptions);

    expect(onChange).toHaveBeenCalledTimes(1);
    expect(last()).toEqual(query({ billingAccount: 'ab22222-ovh-1', lines: ['*'] }));
    expect(fetchOptions).toHaveBeenCalledWith('telephony/lines', { billingAccount: 'ab22222-ovh-1' });
  });

  it('offers All accounts first, and then lists the lines of every account', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    await pickOption(user, 'Billing account', 'All accounts');
    await settle(fetchOptions);

    expect(last()).toEqual(query({ billingAccount: '*', lines: ['*'] }));
    expect(fetchOptions).toHaveBeenCalledWith('telephony/lines', { billingAccount: '*' });
    await pickOption(user, 'Lines', '0033200000001');
    expect(last()).toEqual(query({ billingAccount: '*', lines: ['0033200000001'] }));
  });

  it('replaces the picked lines with All lines, and All lines with a line picked after it', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001', '0033100000002'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    await pickOption(user, 'Lines', 'All lines');
    expect(last()).toEqual(query({ billingAccount: 'ab11111-ovh-1', lines: ['*'] }));

    await pickOption(user, 'Lines', '0033100000002');
    expect(last()).toEqual(query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000002'] }));

    await pickOption(user, 'Lines', '$line');
    await pickOption(user, 'Lines', 'All lines');
    expect(last()).toEqual(query({ billingAccount: 'ab11111-ovh-1', lines: ['*'] }));
  });

  it('selects All lines for a stored query that names an account but no line', async () => {
    const { source } = fakeOptionsSource(answers);
    const { last } = renderSubEditor(TelephonyQueryEditor, query({ billingAccount: 'ab22222-ovh-1' }), source);

    await waitFor(() => expect(last()).toEqual(query({ billingAccount: 'ab22222-ovh-1', lines: ['*'] })));
  });

  it('builds the lines from picked lines, a line variable and free text', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, last, onRunQuery } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    await pickOption(user, 'Lines', '0033100000002');
    await pickOption(user, 'Lines', '$line');
    await typeCustomValue(user, 'Lines', '0033100000099');

    expect(last()).toEqual(
      query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001', '0033100000002', '$line', '0033100000099'] })
    );
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });

  it('adds the picked metrics', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    await pickOption(user, 'Metrics', 'Max jitter');
    await pickOption(user, 'Metrics', 'Max delay');

    expect(last()).toEqual(
      query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'], metrics: ['rtpMos', 'maxJitter', 'maxDelay'] })
    );
  });

  it('reads all lines of an account given as a variable, listing the variable’s lines', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);

    await pickOption(user, 'Billing account', '$ba');

    await settle(fetchOptions);

    expect(fetchOptions).toHaveBeenCalledWith('telephony/lines', { billingAccount: '$ba' });
    expect(last()).toEqual(query({ billingAccount: '$ba', lines: ['*'] }));
    await pickOption(user, 'Lines', '0033900000001');
    expect(last()).toEqual(query({ billingAccount: '$ba', lines: ['0033900000001'] }));
  });

  it('labels each line by its number, its description and service type beside it', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001', '0033100000002'] });
    const { user } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    // The chips: the numbers, not the descriptions.
    expect(screen.getByText('0033100000001')).toBeInTheDocument();
    expect(screen.queryByText('Reception')).not.toBeInTheDocument();

    await user.click(screen.getByLabelText('Lines'));
    const reception = await screen.findByRole('option', { name: /^0033100000001/ });
    expect(reception).toHaveTextContent('Reception · sip');
    expect(screen.getByRole('option', { name: /^All lines/ })).toBeInTheDocument();
  });

  it('shows the MOS scale only while MOS (or a variable, which may stand for it) is picked', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['*'], metrics: ['maxJitter'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    expect(screen.queryByLabelText('MOS (1–5)')).not.toBeInTheDocument();
    await pickOption(user, 'Metrics', 'MOS');
    expect(last()?.metrics).toEqual(['maxJitter', 'rtpMos']);
    expect(screen.getByLabelText('MOS (1–5)')).toBeInTheDocument();
  });

  it('says why the metrics or the lines are red when none is picked', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'], metrics: [] });
    const { user } = renderSubEditor(TelephonyQueryEditor, saved, source);
    await settle(fetchOptions);

    expect(screen.getByText('Pick at least one metric')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /Remove 0033100000001/ }));
    expect(screen.getByText('Pick at least one line, or All lines')).toBeInTheDocument();
  });

  it('sets the timeframe and the MOS scale', async () => {
    const { source } = fakeOptionsSource(answers);
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);

    await pickOption(user, 'Timeframe', 'Last 7 days');
    await user.click(screen.getByLabelText('MOS (1–5)'));

    expect(last()).toEqual(
      query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'], timeframe: 'weekly', mosScale: 'mos' })
    );
  });

  it('offers the four metrics before the backend answers', async () => {
    const { source } = fakeOptionsSource({ ...answers, 'telephony/metrics': new Error('down') });
    const saved = query({ billingAccount: 'ab11111-ovh-1', lines: ['0033100000001'] });
    const { user, last } = renderSubEditor(TelephonyQueryEditor, saved, source);

    await pickOption(user, 'Metrics', 'Lost RTP packets');

    expect(last()?.metrics).toEqual(['rtpMos', 'sumRtpLost']);
  });

  it('shows why the accounts could not be listed', async () => {
    const failure = Object.assign(new Error('request failed'), {
      data: { message: 'OVHcloud is not configured: set ovhApplicationKey' },
    });
    const { source } = fakeOptionsSource({ ...answers, 'telephony/billing-accounts': failure });
    renderSubEditor(TelephonyQueryEditor, query(), source);

    expect(await screen.findByText('OVHcloud is not configured: set ovhApplicationKey')).toBeInTheDocument();
    expect(screen.getByTestId(Selectors.QueryEditor.telephony.billingAccount)).toBeInTheDocument();
  });
});

describe('lineOption', () => {
  it.each([
    { from: { value: '0033100000001', label: 'Reception', description: 'sip' }, description: 'Reception · sip' },
    { from: { value: '0033100000001', label: 'Reception' }, description: 'Reception' },
    { from: { value: '0033100000001', label: '0033100000001' }, description: undefined },
    { from: { value: '0033100000001', label: '0033100000001', description: 'sip · ba1' }, description: 'sip · ba1' },
  ])('$from.label, $from.description', ({ from, description }) => {
    expect(lineOption(from)).toEqual({ value: from.value, label: from.value, ...(description && { description }) });
  });
});

describe('mosScaleApplies', () => {
  it.each([
    { metrics: ['rtpMos'], applies: true },
    { metrics: ['maxDelay', 'sumRtpLost'], applies: false },
    { metrics: ['$metric'], applies: true },
    { metrics: ['[[metric]]'], applies: true },
    { metrics: [], applies: false },
  ])('$metrics', ({ metrics, applies }) => {
    expect(mosScaleApplies(metrics)).toBe(applies);
  });
});

describe('METRIC_OPTIONS', () => {
  it('gives delay and jitter in seconds, as the backend sends them', () => {
    const description = (value: string) => METRIC_OPTIONS.find((option) => option.value === value)?.description;
    expect(description('maxDelay')).toMatch(/in seconds$/);
    expect(description('maxJitter')).toMatch(/in seconds$/);
    expect(METRIC_OPTIONS.map((option) => option.description).join(' ')).not.toMatch(/milli/);
  });
});

describe('nextLines', () => {
  it.each([
    { name: 'All lines picked beside lines replaces them', previous: ['a', 'b'], picked: ['a', 'b', '*'], next: ['*'] },
    { name: 'a line picked after All lines replaces it', previous: ['*'], picked: ['*', 'a'], next: ['a'] },
    { name: 'unticking All lines leaves none', previous: ['*'], picked: [], next: [] },
    { name: 'other picks pass through', previous: ['a'], picked: ['a', 'b'], next: ['a', 'b'] },
  ])('$name', ({ previous, picked, next }) => {
    expect(nextLines(previous, picked)).toEqual(next);
  });
});
