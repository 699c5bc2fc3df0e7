import { DataQueryRequest, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { firstValueFrom } from 'rxjs';

import { DataSource } from './datasource';
import { installTemplateSrv } from './test/templateSrv';
import {
  CdnBandwidthQuery,
  ServiceStatsOptions,
  ServiceStatsQuery,
  TelephonyQuery,
  UsageQuery,
  VariableQuery,
} from './types';
import { ServiceStatsVariableSupport } from './variables';

const settings = {
  id: 1,
  uid: 'service-stats',
  type: 'opsdeck-servicestats-datasource',
  name: 'Service Stats',
  access: 'proxy',
  readOnly: false,
  jsonData: {},
  meta: {},
} as unknown as DataSourceInstanceSettings<ServiceStatsOptions>;

const telephony = (patch: Partial<TelephonyQuery> = {}): TelephonyQuery => ({
  refId: 'A',
  queryType: 'telephony',
  billingAccount: 'ab12345-ovh-1',
  lines: ['0033123456789'],
  metrics: ['rtpMos'],
  timeframe: 'auto',
  mosScale: 'raw',
  ...patch,
});

const cdn = (patch: Partial<CdnBandwidthQuery> = {}): CdnBandwidthQuery => ({
  refId: 'B',
  queryType: 'cdnBandwidth',
  type: 'GB',
  groupBy: '',
  resources: [],
  locations: [],
  ...patch,
});

const usage = (patch: Partial<UsageQuery> = {}): UsageQuery => ({
  refId: 'C',
  queryType: 'usage',
  report: 'requests',
  enterpriseId: '',
  limit: 500,
  ...patch,
});

beforeEach(() => {
  installTemplateSrv([
    { name: 'ba', current: 'ab12345-ovh-1' },
    { name: 'accounts', current: ['ab12345-ovh-1', 'cd67890-ovh-1'] },
    { name: 'allAccounts', current: '$__all', options: ['ab12345-ovh-1', 'cd67890-ovh-1', 'zz99999-ovh-1'] },
    { name: 'line', current: ['0033100000001', '0033100000002', '0033100000003'] },
    { name: 'oneLine', current: ['0033100000009'] },
    {
      name: 'allLines',
      current: '$__all',
      options: ['0033100000001', '0033100000002', '0033100000003', '0033100000004'],
    },
    { name: 'metric', current: ['rtpMos', 'maxJitter'] },
    { name: 'res', current: ['977655738', '977655739'] },
    { name: 'loc', current: '$__all', options: ['532', '331'] },
    { name: 'ent', current: 'ent-42' },
    { name: 'empty', current: '' },
  ]);
});

describe('getDefaultQuery', () => {
  it('is a telephony query with MOS on the raw scale', () => {
    expect(new DataSource(settings).getDefaultQuery('explore' as never)).toEqual({
      queryType: 'telephony',
      billingAccount: '',
      lines: [],
      metrics: ['rtpMos'],
      timeframe: 'auto',
      mosScale: 'raw',
    });
  });

  it('returns a fresh copy each time', () => {
    const ds = new DataSource(settings);
    const first = ds.getDefaultQuery('explore' as never) as TelephonyQuery;
    first.metrics.push('maxDelay');
    expect((ds.getDefaultQuery('explore' as never) as TelephonyQuery).metrics).toEqual(['rtpMos']);
  });
});

describe('filterQuery', () => {
  const ds = new DataSource(settings);

  it.each<{ name: string; query: ServiceStatsQuery; expected: boolean }>([
    { name: 'a complete telephony query', query: telephony(), expected: true },
    { name: 'a hidden telephony query', query: telephony({ hide: true }), expected: false },
    { name: 'no billing account', query: telephony({ billingAccount: '' }), expected: false },
    { name: 'a blank billing account', query: telephony({ billingAccount: '  ' }), expected: false },
    { name: 'no line', query: telephony({ lines: [] }), expected: false },
    { name: 'no metric', query: telephony({ metrics: [] }), expected: false },
    { name: 'lines as a variable', query: telephony({ lines: ['$line'] }), expected: true },
    { name: 'a CDN query with defaults only', query: cdn(), expected: true },
    { name: 'a hidden CDN query', query: cdn({ hide: true }), expected: false },
    { name: 'a usage query', query: usage(), expected: true },
    { name: 'a hidden usage query', query: usage({ hide: true }), expected: false },
  ])('$name → $expected', ({ query, expected }) => {
    expect(ds.filterQuery(query)).toBe(expected);
  });

  it('skips a stored telephony query that lacks its lists', () => {
    const stored = { refId: 'A', queryType: 'telephony', billingAccount: 'ab12345-ovh-1' } as TelephonyQuery;
    expect(ds.filterQuery(stored)).toBe(false);
  });
});

describe('applyTemplateVariables', () => {
  const ds = new DataSource(settings);
  const apply = (query: ServiceStatsQuery, scopedVars: ScopedVars = {}) => ds.applyTemplateVariables(query, scopedVars);
  const applyTelephony = (query: TelephonyQuery, scopedVars: ScopedVars = {}) =>
    apply(query, scopedVars) as TelephonyQuery;

  it('expands a multi-value variable in lines into one line per value', () => {
    expect(apply(telephony({ billingAccount: '$ba', lines: ['$line'] }))).toEqual(
      telephony({ lines: ['0033100000001', '0033100000002', '0033100000003'] })
    );
  });

  it('sends a multi-value billing-account variable as its accounts separated by commas', () => {
    expect(applyTelephony(telephony({ billingAccount: '$accounts' })).billingAccount).toBe(
      'ab12345-ovh-1,cd67890-ovh-1'
    );
    expect(applyTelephony(telephony({ billingAccount: '${allAccounts}' })).billingAccount).toBe(
      'ab12345-ovh-1,cd67890-ovh-1,zz99999-ovh-1'
    );
    expect(applyTelephony(telephony({ billingAccount: '$ba' })).billingAccount).toBe('ab12345-ovh-1');
  });

  it('keeps All accounts and All lines as they are', () => {
    expect(apply(telephony({ billingAccount: '*', lines: ['*'] }))).toEqual(
      telephony({ billingAccount: '*', lines: ['*'] })
    );
  });

  it('expands "All" into every value of the variable', () => {
    expect(applyTelephony(telephony({ lines: ['${allLines}'] })).lines).toEqual([
      '0033100000001',
      '0033100000002',
      '0033100000003',
      '0033100000004',
    ]);
  });

  it('keeps literal entries, removes duplicates and drops empty values', () => {
    expect(
      applyTelephony(telephony({ lines: ['0033100000002', '$line', ' ', '$empty', '0033100000003'] })).lines
    ).toEqual(['0033100000002', '0033100000001', '0033100000003']);
  });

  it('expands a single-value selection of a multi-value variable', () => {
    expect(applyTelephony(telephony({ lines: ['$oneLine'] })).lines).toEqual(['0033100000009']);
  });

  it('expands multi-value metrics', () => {
    expect(applyTelephony(telephony({ metrics: ['$metric', 'sumRtpLost', 'rtpMos'] })).metrics).toEqual([
      'rtpMos',
      'maxJitter',
      'sumRtpLost',
    ]);
  });

  it('prefers the scoped value of a repeated panel', () => {
    const scoped: ScopedVars = { line: { text: '0033100000007', value: '0033100000007' } };
    expect(applyTelephony(telephony({ lines: ['$line'] }), scoped).lines).toEqual(['0033100000007']);
  });

  it('leaves an unknown variable as written, for the backend to report', () => {
    expect(apply(telephony({ billingAccount: '$nope', lines: ['$nope'] }))).toEqual(
      telephony({ billingAccount: '$nope', lines: ['$nope'] })
    );
  });

  it('expands CDN resources and locations', () => {
    expect(apply(cdn({ groupBy: 'location', resources: ['$res'], locations: ['$loc', '532'] }))).toEqual(
      cdn({ groupBy: 'location', resources: ['977655738', '977655739'], locations: ['532', '331'] })
    );
  });

  it('interpolates the usage enterprise and keeps every other field', () => {
    const query = usage({ enterpriseId: '$ent', report: 'requestRate', splitBy: 'route', noCache: true });
    expect(apply(query)).toEqual({ ...query, enterpriseId: 'ent-42' });
  });

  it('keeps the query options (noCache, topN)', () => {
    const query = usage({ topN: 5, noCache: true });
    expect(apply(query)).toEqual(query);
  });
});

describe('fetchOptions', () => {
  it('interpolates the parameters, leaves out empty ones and keeps well-formed entries', async () => {
    const ds = new DataSource(settings);
    const getResource = jest
      .spyOn(ds, 'getResource')
      .mockResolvedValue([
        { value: '0033100000001', text: 'Reception', description: 'SIP line' },
        { value: '0033100000002', text: '' },
        { text: 'no value' },
        null,
        'junk',
      ]);

    const options = await ds.fetchOptions('telephony/lines', { billingAccount: '$ba', extra: '$empty' });

    expect(getResource).toHaveBeenCalledWith('telephony/lines', { billingAccount: 'ab12345-ovh-1' });
    expect(options).toEqual([
      { value: '0033100000001', text: 'Reception', description: 'SIP line' },
      { value: '0033100000002', text: '0033100000002' },
    ]);
  });

  it('lists the lines of every account of a multi-value variable, separated by commas', async () => {
    const ds = new DataSource(settings);
    const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue([]);

    await ds.fetchOptions('telephony/lines', { billingAccount: '$accounts' });
    await ds.fetchOptions('telephony/lines', { billingAccount: '*' });

    expect(getResource).toHaveBeenNthCalledWith(1, 'telephony/lines', {
      billingAccount: 'ab12345-ovh-1,cd67890-ovh-1',
    });
    expect(getResource).toHaveBeenNthCalledWith(2, 'telephony/lines', { billingAccount: '*' });
  });

  it('answers an empty list when the backend does not answer a list', async () => {
    const ds = new DataSource(settings);
    jest.spyOn(ds, 'getResource').mockResolvedValue({ message: 'odd' });
    await expect(ds.fetchOptions('cdn/resources')).resolves.toEqual([]);
  });
});

describe('variables', () => {
  const request = (target: VariableQuery) =>
    ({ targets: [target], scopedVars: {} }) as unknown as DataQueryRequest<VariableQuery>;

  it('is custom variable support', () => {
    expect(new DataSource(settings).variables).toBeInstanceOf(ServiceStatsVariableSupport);
  });

  it('lists the lines of an interpolated billing account as text/value fields', async () => {
    const ds = new DataSource(settings);
    const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue([
      { value: '0033100000001', text: 'Reception' },
      { value: '0033100000002', text: 'Sales' },
    ]);
    const variables = ds.variables as ServiceStatsVariableSupport;

    const response = await firstValueFrom(
      variables.query(request({ refId: 'V', kind: 'lines', billingAccount: '$ba' }))
    );

    expect(getResource).toHaveBeenCalledWith('telephony/lines', { billingAccount: 'ab12345-ovh-1' });
    const [frame] = response.data;
    expect(frame.fields.map((field: { name: string; values: string[] }) => [field.name, field.values])).toEqual([
      ['text', ['Reception', 'Sales']],
      ['value', ['0033100000001', '0033100000002']],
    ]);
  });

  it.each<[VariableQuery['kind'], string]>([
    ['billingAccounts', 'telephony/billing-accounts'],
    ['metrics', 'telephony/metrics'],
    ['cdnResources', 'cdn/resources'],
    ['cdnLocations', 'cdn/locations'],
    ['enterprises', 'usage/enterprises'],
    ['devices', 'usage/devices'],
    ['routes', 'usage/routes'],
  ])('%s lists %s without parameters', async (kind, path) => {
    const ds = new DataSource(settings);
    const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue([]);
    await firstValueFrom(
      (ds.variables as ServiceStatsVariableSupport).query(request({ refId: 'V', kind, billingAccount: 'x' }))
    );
    expect(getResource).toHaveBeenCalledWith(path, {});
  });

  it('lists billing accounts for a new variable, whose query Grafana starts as an empty string', async () => {
    const ds = new DataSource(settings);
    const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue([]);
    const emptyQuery = '' as unknown as VariableQuery;
    await firstValueFrom((ds.variables as ServiceStatsVariableSupport).query(request(emptyQuery)));
    expect(getResource).toHaveBeenCalledWith('telephony/billing-accounts', {});
  });

  it('reports a failed call as an error', async () => {
    const ds = new DataSource(settings);
    jest.spyOn(ds, 'getResource').mockRejectedValue(new Error('OnApp is not configured'));
    await expect(
      firstValueFrom((ds.variables as ServiceStatsVariableSupport).query(request({ refId: 'V', kind: 'cdnResources' })))
    ).rejects.toThrow('OnApp is not configured');
  });
});
