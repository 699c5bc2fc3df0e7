import { DataQuery } from '@grafana/schema';

import { defaultQueryFor, isQueryType, toVariableQuery, withDefaults } from './queries';

describe('withDefaults', () => {
  it('completes a stored query with the defaults of its type', () => {
    const stored = { refId: 'B', queryType: 'cdnBandwidth', groupBy: 'resource' } as DataQuery;
    expect(withDefaults(stored)).toEqual({
      refId: 'B',
      queryType: 'cdnBandwidth',
      type: 'GB',
      groupBy: 'resource',
      resources: [],
      locations: [],
    });
  });

  it('treats a query of no known type as a telephony query', () => {
    expect(withDefaults({ refId: 'A', queryType: 'nope' })).toEqual({
      refId: 'A',
      queryType: 'telephony',
      billingAccount: '',
      lines: [],
      metrics: ['rtpMos'],
      timeframe: 'auto',
      mosScale: 'raw',
    });
  });
});

describe('defaultQueryFor', () => {
  it('does not share arrays between queries', () => {
    const first = defaultQueryFor('cdnBandwidth');
    first.resources.push('977655738');
    expect(defaultQueryFor('cdnBandwidth').resources).toEqual([]);
  });
});

describe('isQueryType', () => {
  it.each([
    ['telephony', true],
    ['cdnBandwidth', true],
    ['usage', true],
    ['cdn', false],
    [undefined, false],
  ])('%s → %s', (value, expected) => {
    expect(isQueryType(value)).toBe(expected);
  });
});

describe('toVariableQuery', () => {
  it('lists billing accounts when nothing is stored yet', () => {
    expect(toVariableQuery('')).toEqual({ refId: 'ServiceStatsVariableQuery', kind: 'billingAccounts' });
  });

  it('keeps a stored model', () => {
    expect(toVariableQuery({ refId: 'V', kind: 'lines', billingAccount: '$ba' })).toEqual({
      refId: 'V',
      kind: 'lines',
      billingAccount: '$ba',
    });
  });
});
