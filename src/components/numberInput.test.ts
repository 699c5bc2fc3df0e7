import { describeBounds, numberProblem } from './numberInput';

describe('numberProblem', () => {
  it.each([
    { text: '', bounds: { min: 1 }, problem: undefined },
    { text: '5', bounds: { min: 1, max: 5000 }, problem: undefined },
    { text: '0', bounds: { min: 1, max: 5000 }, problem: 'A whole number from 1 to 5000, or empty for the default' },
    { text: '5001', bounds: { min: 1, max: 5000 }, problem: 'A whole number from 1 to 5000, or empty for the default' },
    { text: '-1', bounds: { min: 0 }, problem: 'A whole number, 0 or more, or empty for the default' },
    { text: '1.5', bounds: { min: 1 }, problem: 'A whole number, 1 or more, or empty for the default' },
    { text: 'x', bounds: {}, problem: 'A whole number, or empty for the default' },
    { text: '.5', bounds: { decimal: true, min: 0, below: 1 }, problem: undefined },
    {
      text: '1',
      bounds: { decimal: true, min: 0, below: 1 },
      problem: 'A number from 0 to below 1, or empty for the default',
    },
  ])('$text within $bounds', ({ text, bounds, problem }) => {
    expect(numberProblem(text, bounds)).toBe(problem);
  });
});

describe('describeBounds', () => {
  it.each([
    { bounds: { max: 9 }, text: 'A whole number, 9 or less' },
    { bounds: { below: 1, decimal: true }, text: 'A number below 1' },
  ])('$text', ({ bounds, text }) => {
    expect(describeBounds(bounds)).toBe(text);
  });
});
