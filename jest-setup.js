// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { configure } from '@testing-library/react';

// @grafana/ui's Combobox renders its options in a virtual list that only shows the rows fitting its
// measured size; jsdom measures every element as 0×0, so give elements a size.
const SIZE = 400;
Object.defineProperty(Element.prototype, 'getBoundingClientRect', {
  configurable: true,
  value: () => ({
    width: SIZE,
    height: SIZE,
    top: 0,
    left: 0,
    bottom: SIZE,
    right: SIZE,
    x: 0,
    y: 0,
    toJSON: () => ({}),
  }),
});
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => SIZE });
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => SIZE });

// Combobox sizes its menu with a canvas's measureText; the scaffold's canvas stub returns nothing.
HTMLCanvasElement.prototype.getContext = () => ({ font: '', measureText: (text) => ({ width: text.length * 7 }) });

// jsdom has no observers; Combobox's menu uses both (scroll indicators, floating position).
class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.IntersectionObserver = global.IntersectionObserver ?? NoopObserver;
global.ResizeObserver = global.ResizeObserver ?? NoopObserver;

// findBy*/waitFor wait up to 1 s by default; the machines running these tests are shared and slow.
configure({ asyncUtilTimeout: 5000 });
