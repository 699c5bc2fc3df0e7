import { screen } from '@testing-library/react';

import { Selectors } from '../selectors';
import { fakeOptionsSource, FakeAnswers, pickOption, settle } from '../test/fakes';
import { renderSubEditor } from '../test/render';
import { installTemplateSrv } from '../test/templateSrv';
import { UsageQuery } from '../types';
import { UsageQueryEditor, withReport } from './UsageQueryEditor';

const ids = Selectors.QueryEditor.usage;

const answers: FakeAnswers = {
  'usage/enterprises': [
    { value: 'ent-1', text: 'Acme' },
    { value: 'ent-2', text: 'Globex' },
  ],
};

const query = (patch: Partial<UsageQuery> = {}): UsageQuery => ({
  refId: 'C',
  queryType: 'usage',
  report: 'requests',
  enterpriseId: '',
  limit: 500,
  ...patch,
});

beforeEach(() => {
  installTemplateSrv([{ name: 'enterprise', current: 'ent-2' }]);
});

describe('UsageQueryEditor', () => {
  it('sets the report, the enterprise and the page size', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last, onRunQuery } = renderSubEditor(UsageQueryEditor, query(), source);
    await settle(fetchOptions);

    await pickOption(user, 'Report', 'Logs');
    await pickOption(user, 'Enterprise', 'Globex');
    await user.clear(screen.getByTestId(ids.limit));
    await user.type(screen.getByTestId(ids.limit), '1000{Enter}');

    expect(last()).toEqual(query({ report: 'logs', enterpriseId: 'ent-2', limit: 1000 }));
    expect(onRunQuery).toHaveBeenCalledTimes(3);
  });

  it('keeps the top N of an aggregate, and removes it when emptied', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last, onChange } = renderSubEditor(UsageQueryEditor, query({ report: 'routes' }), source);
    await settle(fetchOptions);

    expect(screen.queryByLabelText('Route')).not.toBeInTheDocument();
    await user.type(screen.getByTestId(ids.topN), '10');
    await user.tab();
    expect(last()).toEqual(query({ report: 'routes', topN: 10 }));

    await user.clear(screen.getByTestId(ids.topN));
    await user.tab();
    expect(last()).toEqual(query({ report: 'routes' }));
    expect(onChange).toHaveBeenCalledTimes(2);
  });

  it('splits a derived series and drops the options of the previous report', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last } = renderSubEditor(UsageQueryEditor, query({ report: 'devices', topN: 5 }), source);
    await settle(fetchOptions);

    await pickOption(user, 'Report', 'Execution time p50/p95/max (derived)');
    expect(screen.queryByTestId(ids.topN)).not.toBeInTheDocument();
    await user.click(screen.getByLabelText('Route'));

    expect(last()).toEqual(query({ report: 'latency', splitBy: 'route' }));
  });

  it('does not commit a page size outside 1–5000', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, onChange } = renderSubEditor(UsageQueryEditor, query(), source);
    await settle(fetchOptions);

    await user.clear(screen.getByTestId(ids.limit));
    await user.type(screen.getByTestId(ids.limit), '9000');
    await user.tab();

    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByTestId(ids.limit)).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('A whole number from 1 to 5000, or empty for the default')).toBeInTheDocument();
  });

  it('says why a page size of 0 or a negative top N is red, and clears the message once fixed', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last, onChange } = renderSubEditor(UsageQueryEditor, query({ report: 'routes' }), source);
    await settle(fetchOptions);

    await user.clear(screen.getByTestId(ids.limit));
    await user.type(screen.getByTestId(ids.limit), '0');
    await user.type(screen.getByTestId(ids.topN), '-3');
    await user.tab();

    expect(screen.getByText('A whole number from 1 to 5000, or empty for the default')).toBeInTheDocument();
    expect(screen.getByText('A whole number, 0 or more, or empty for the default')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();

    await user.clear(screen.getByTestId(ids.limit));
    await user.type(screen.getByTestId(ids.limit), '20{Enter}');
    expect(screen.queryByText(/from 1 to 5000/)).not.toBeInTheDocument();
    expect(last()).toEqual(query({ report: 'routes', limit: 20 }));
  });

  it('takes an enterprise variable', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last } = renderSubEditor(UsageQueryEditor, query(), source);
    await settle(fetchOptions);

    await pickOption(user, 'Enterprise', '$enterprise');

    expect(last()).toEqual(query({ enterpriseId: '$enterprise' }));
  });
});

describe('withReport', () => {
  it.each<{ from: Partial<UsageQuery>; report: UsageQuery['report']; expected: Partial<UsageQuery> }>([
    { from: { report: 'routes', topN: 3 }, report: 'devices', expected: { report: 'devices', topN: 3 } },
    { from: { report: 'routes', topN: 3 }, report: 'logs', expected: { report: 'logs' } },
    {
      from: { report: 'latency', splitBy: 'device' },
      report: 'requestRate',
      expected: { report: 'requestRate', splitBy: 'device' },
    },
    { from: { report: 'latency', splitBy: 'device' }, report: 'complexity', expected: { report: 'complexity' } },
  ])('$from.report → $report', ({ from, report, expected }) => {
    expect(withReport(query(from), report)).toEqual(query(expected));
  });
});
