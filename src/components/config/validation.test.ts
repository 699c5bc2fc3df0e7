import { redisUrlProblem, urlProblem } from './validation';

describe('urlProblem', () => {
  it.each(['', '  ', 'https://api.example.com', 'http://127.0.0.1:8089/ovh/1.0', 'https://pulse.example.com/api/'])(
    'accepts %j',
    (url) => {
      expect(urlProblem(url)).toBeUndefined();
    }
  );

  it.each([
    ['api.example.com', 'An absolute URL such as https://api.example.com'],
    ['/1.0', 'An absolute URL such as https://api.example.com'],
    ['ftp://api.example.com', 'An absolute http:// or https:// URL such as https://api.example.com'],
    ['https://u:p@api.example.com', 'No user or password in the URL: use the secret fields'],
    ['https://api.example.com/?a=1', 'No query string (?…) or fragment (#…)'],
    ['https://api.example.com/#x', 'No query string (?…) or fragment (#…)'],
    ['https://api.example.com/?', 'No query string (?…) or fragment (#…)'],
  ])('refuses %j', (url, message) => {
    expect(urlProblem(url)).toBe(message);
  });
});

describe('redisUrlProblem', () => {
  it.each(['', 'redis://redis:6379/0', 'rediss://redis.example.com:6380', 'redis://redis/'])('accepts %j', (url) => {
    expect(redisUrlProblem(url)).toBeUndefined();
  });

  it.each(['http://redis:6379', 'redis://redis:6379/db', 'redis:///0'])('refuses %j', (url) => {
    expect(redisUrlProblem(url)).toMatch(/^A Redis URL/);
  });
});
