/**
 * gantry's own interfaces as the workflow lint knows them on any repository: each action's inputs and outputs from
 * its definition (src/definitions/, what action.yml is generated from), and gantry's reusable workflows from the
 * copies in `gantry-workflows.json`, which `npm run lint:workflows -- --write` writes from .github/workflows/ and
 * `npm run lint:workflows` (and test/workflows.test.ts) holds equal to them. Both are bundled into the CLI, so a
 * consumer's `OWNER/gantry/actions/<name>@v1` and `OWNER/gantry/.github/workflows/<name>.yml@v1` are checked
 * against the gantry that lints them, offline.
 */
import { inputsFor } from '../definition/define.js';
import { ACTIONS } from '../definitions/index.js';
import bundled from './gantry-workflows.json' with { type: 'json' };
import { BUNDLED_WORKFLOWS_FILE, REUSABLE_WORKFLOWS } from './reusable-workflows.js';
import { type ActionInput, type ActionSpec, type Finding, formatFinding, type GantryInterfaces, parseWorkflow, WORKFLOWS_DIR, type Workflow } from './rules.js';

/** An action's interface as its generated action.yml declares it (scripts/generate.ts actionYml). */
function specOf(definition: (typeof ACTIONS)[number]): ActionSpec {
  const inputs = new Map<string, ActionInput>();
  for (const [name, spec] of inputsFor(definition.inputs, 'action')) {
    const fallback = spec.actionDefault ?? spec.default;
    inputs.set(name, { required: spec.required === true && spec.actionDefault === undefined, hasDefault: fallback !== undefined });
  }
  return { inputs, outputs: new Set(Object.keys(definition.outputs)) };
}

let interfaces: GantryInterfaces | undefined;

/** gantry's actions and reusable workflows, as bundled. */
export function gantryInterfaces(): GantryInterfaces {
  if (interfaces !== undefined) return interfaces;
  const actions = new Map(ACTIONS.map((definition) => [definition.name, specOf(definition)]));
  const workflows = new Map<string, Workflow>();
  const texts: Record<string, string> = bundled;
  for (const name of REUSABLE_WORKFLOWS) {
    const file = `${WORKFLOWS_DIR}/${name}`;
    const parsed = parseWorkflow(file, texts[name] ?? '', 'gantry');
    // The copies are gantry's own workflows, which its CI lints: a broken one is a broken build of gantry.
    if (Array.isArray(parsed)) throw new Error(`${BUNDLED_WORKFLOWS_FILE}: ${(parsed as Finding[]).map(formatFinding).join('; ')}`);
    workflows.set(file, parsed);
  }
  interfaces = { actions, workflows };
  return interfaces;
}
