import { renderHook } from '@testing-library/react';

import { TelephonyQuery } from '../types';
import { useCommit } from './editorProps';

const base: TelephonyQuery = {
  refId: 'A',
  queryType: 'telephony',
  billingAccount: 'ab12345-ovh-1',
  lines: ['0033123456789'],
  metrics: ['rtpMos'],
  timeframe: 'auto',
  mosScale: 'raw',
};

describe('useCommit', () => {
  it('applies each change to the latest committed query, even before it is rendered', () => {
    const onChange = jest.fn();
    const onRunQuery = jest.fn();
    const { result } = renderHook(() => useCommit({ query: base, datasource: {} as never, onChange, onRunQuery }));

    result.current({ billingAccount: 'cd67890-ovh-1', lines: [] });
    // A stale handler replaying a change computed from the old query must not undo the first one.
    result.current((latest) => (latest.lines.length === 0 ? { ...latest, lines: ['0033987654321'] } : undefined));

    expect(onChange).toHaveBeenCalledTimes(2);
    expect(onChange).toHaveBeenLastCalledWith({ ...base, billingAccount: 'cd67890-ovh-1', lines: ['0033987654321'] });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('drops a change that changes nothing, so a replayed selection cannot loop', () => {
    const onChange = jest.fn();
    const onRunQuery = jest.fn();
    const { result } = renderHook(() => useCommit({ query: base, datasource: {} as never, onChange, onRunQuery }));

    result.current({ billingAccount: 'ab12345-ovh-1' });
    result.current(() => undefined);

    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });
});
