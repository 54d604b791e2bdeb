// The shape of a table before it meets a terminal: columns and rows of plain strings. shell/format.ts lays it
// out to a width; present/ builds tables (the IPVS listing) that the shell and the CLI print alike.

export interface Column {
  title: string;
  align?: 'left' | 'right';
  /** May be cut (with …) when the table is wider than the terminal. */
  shrink?: boolean;
  /**
   * A cell of this column that is the last non-empty cell of its row runs on over the empty columns to its
   * right instead of widening its column (ipvsadm's service line: the scheduler and its flags above the
   * destinations' numbers); past the terminal's width it wraps at a space, indented to its column.
   */
  spill?: boolean;
}

export interface Table {
  columns: Column[];
  rows: string[][];
  /** Lines printed above the table. */
  title?: string;
}
