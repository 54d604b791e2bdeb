// Stored strings reach the operator's terminal: descriptions, comments, file names and keys in error messages,
// audit fields, names from the kernel. A description holding ESC [2J would clear the operator's screen (or worse:
// set the window title, rewrite the line above a prompt). Every control character except newline and tab is
// shown as a visible escape instead (`\x1b`), the way `cat -v` and git do it; text without them is unchanged.

// C0 controls but \t and \n, DEL, and the C1 range (8-bit CSI 0x9b acts like ESC [ on many terminals).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

export function escapeControls(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : text;
}
