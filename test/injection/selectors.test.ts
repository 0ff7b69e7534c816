import t from 'tap';
import { anySelectorMatches, selectorMatches } from '../../src/injection/selectors.js';
import type { LabelSelector } from '../../src/injection/types.js';

const labels = { app: 'web', tier: 'frontend' };
const cases: Array<[string, LabelSelector, boolean]> = [
  ['empty selector matches everything', {}, true],
  ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
  ['matchLabels differ', { matchLabels: { app: 'api' } }, false],
  ['matchLabels missing key', { matchLabels: { team: 'x' } }, false],
  ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'api'] }] }, true],
  ['In miss', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }] }, false],
  ['In absent key', { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] }, false],
  ['NotIn hit', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] }, false],
  ['NotIn miss', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }, true],
  ['NotIn absent key matches', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] }, true],
  ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
  ['Exists absent', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, false],
  ['DoesNotExist', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, true],
  ['DoesNotExist present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
  ['all terms must hold', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }] }, false],
];
for (const [name, selector, expected] of cases) {
  t.equal(selectorMatches(selector, labels), expected, name);
}
t.equal(anySelectorMatches([], labels), false, 'an empty list matches nothing');
t.equal(anySelectorMatches([{ matchLabels: { app: 'x' } }, { matchLabels: { app: 'web' } }], labels), true, 'any of the list');
t.equal(selectorMatches({ matchLabels: { toString: 'x' } }, {}), false, 'inherited properties are not labels');
t.equal(selectorMatches({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, {}), false, 'Exists ignores inherited properties');
