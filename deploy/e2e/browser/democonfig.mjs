// The demo gateway's configuration (deploy/demo/gateway.yaml) as the
// browser tests need it, read in one place so that every test sends the
// cloud the same policy text: a policy version is stored once with its
// body, and a second POST of the same version with another body (say,
// without the comments) is refused.
import { readFileSync } from 'node:fs';

export const demoYAML = readFileSync(new URL('../../demo/gateway.yaml', import.meta.url), 'utf8');

// demoPolicy is the gateway's policy block as a policy document (the
// block's lines, comments kept, two spaces of indent taken off).
export const demoPolicy = demoYAML.split('\npolicy:\n')[1].split(/\n(?=\S)/)[0].split('\n').map((l) => l.replace(/^  /, '')).join('\n') + '\n';

// demoRoster is the gateway's roster as the console's roster import takes
// it (a CSV with the header 编号,姓名,卡号,出生日期,类别,有效): what the
// demo seeds into the cloud at its start (deploy/demo seedRoster), so an
// import of it changes nothing.
export function demoRoster() {
  const rows = ['编号,姓名,卡号,出生日期,类别,有效'];
  for (const l of demoYAML.split('\n')) {
    const m = /^\s+- \{id: (E\d+), name: (\S+), card: "(\w+)", birth: "([\d-]+)"(?:, category: (\S+?))?, active: (true|false)\}/.exec(l);
    if (m) rows.push([m[1], m[2], m[3], m[4], m[5] || '', m[6] === 'true' ? '是' : '否'].join(','));
  }
  return rows;
}
