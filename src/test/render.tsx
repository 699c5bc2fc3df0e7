import { render } from '@testing-library/react';
import userEvent, { PointerEventsCheckLevel } from '@testing-library/user-event';
import React, { ComponentType, useState } from 'react';

import { SubEditorProps } from '../components/editorProps';
import { OptionsSource } from '../components/useResourceOptions';
import { ServiceStatsQuery } from '../types';

/**
 * Renders a controlled component the way Grafana does: every onChange becomes the next props. The
 * returned mock records each change; `last()` is the model the component ended with.
 */
export function renderControlled<V, P extends object>(
  Component: ComponentType<P>,
  initial: V,
  props: (value: V, onChange: (value: V) => void) => P
) {
  const onChange = jest.fn<void, [V]>();
  function Harness() {
    const [value, setValue] = useState(initial);
    const handleChange = (next: V) => {
      onChange(next);
      setValue(next);
    };
    return <Component {...props(value, handleChange)} />;
  }
  // No pointer-events check: it computes the style of every ancestor on each click, which is slow here.
  const user = userEvent.setup({ delay: null, pointerEventsCheck: PointerEventsCheckLevel.Never });
  const view = render(<Harness />);
  return { ...view, user, onChange, last: () => onChange.mock.lastCall?.[0] };
}

/** Renders one query type's editor with a fake data source. */
export function renderSubEditor<Q extends ServiceStatsQuery>(
  Editor: ComponentType<SubEditorProps<Q>>,
  initial: Q,
  datasource: OptionsSource
) {
  const onRunQuery = jest.fn();
  const result = renderControlled(Editor, initial, (query, onChange) => ({ query, datasource, onChange, onRunQuery }));
  return { ...result, onRunQuery };
}
