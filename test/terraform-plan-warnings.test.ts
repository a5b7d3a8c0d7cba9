/**
 * Warnings of the plan summary: a plan that would replace the capacity provider (which fails while functions
 * are attached to it) or change a permissions boundary (which the apply build may not) says so, in the Markdown
 * for the pull request and the job summary, and the warning survives the round trip through the build's
 * exported variables. The fixture is `terraform show -json` of a plan that changes the allowed instance types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_EXPORTED_RESOURCES_CHARS,
  planExportedVariables,
  planSummaryFromExported,
  planWarnings,
  renderPlanMarkdown,
  resourceType,
  summarizePlan,
} from '../src/terraform/plan-summary.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

const FIXTURE = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'plan', 'capacity-provider-replacement.json'), 'utf8')) as {
  resource_changes: Array<{ address: string; change: { actions: string[] } }>;
};
const PROVIDER = 'aws_lambda_capacity_provider.capacity-provider_FC85AC27';
const BOUNDARY = 'aws_iam_policy.boundaries_workload_0B6C9A2E';
const CONTEXT = { environment: 'dev', commit: 'a'.repeat(40) };

describe('plan warnings', () => {
  it('a replaced capacity provider and a changed boundary each get one line', () => {
    const summary = summarizePlan(FIXTURE);
    expect(summary).toMatchObject({ add: 2, change: 3, destroy: 2, replace: 2 });
    expect(planWarnings(summary)).toEqual([
      `${PROVIDER} would be replaced: its delete fails while function versions are attached to it, and under the same name a new one cannot be created next to it. Apply this only as the migration of terraform/README.md, "Replacing the capacity provider" (a second provider under a new name, the functions moved to it, the first deleted once no version is attached)`,
      `${BOUNDARY} is a permissions boundary (update): the apply build may not change it; apply this plan with administrator credentials (terraform/README.md, "Permissions boundaries")`,
    ]);
  });

  it('replacement either way round, never an in-place change or another resource type', () => {
    const withActions = (actions: string[]) => ({
      ...FIXTURE,
      resource_changes: FIXTURE.resource_changes.map((change) => (change.address === PROVIDER ? { ...change, change: { ...change.change, actions } } : change)),
    });
    const providerWarnings = (actions: string[]) => planWarnings(summarizePlan(withActions(actions))).filter((warning) => warning.startsWith(PROVIDER));
    expect(providerWarnings(['delete', 'create'])).toHaveLength(1);
    expect(providerWarnings(['create', 'delete'])).toHaveLength(1);
    expect(providerWarnings(['update'])).toEqual([]);
    expect(providerWarnings(['no-op'])).toEqual([]);
    // The scaling config is replaced on every publish: nothing to warn about.
    expect(planWarnings(summarizePlan(FIXTURE)).some((warning) => warning.includes('aws_lambda_function_scaling_config'))).toBe(false);
  });

  it('stand right after the counts in the Markdown, even when the resource rows are cut', () => {
    const summary = summarizePlan(FIXTURE);
    const markdown = renderPlanMarkdown(summary, CONTEXT);
    const lines = markdown.split('\n');
    const counts = lines.indexOf('Plan: 2 to add, 3 to change, 2 to destroy.');
    expect(lines[counts + 2]).toBe(`> **Warning:** ${planWarnings(summary)[0]}`);
    expect(lines[counts + 4]).toBe(`> **Warning:** ${planWarnings(summary)[1]}`);
    const short = renderPlanMarkdown(summary, CONTEXT, markdown.length - 100);
    expect(short).toContain(`> **Warning:** ${PROVIDER} would be replaced`);
    expect(renderPlanMarkdown(summarizePlan({ ...FIXTURE, resource_changes: [] }), CONTEXT)).not.toContain('Warning');
  });

  it('survive the exported variables, also when the resource list is cut to fit', () => {
    const summary = summarizePlan(FIXTURE);
    const back = planSummaryFromExported(planExportedVariables(summary, 'c'.repeat(64)))!;
    expect(planWarnings(back)).toEqual(planWarnings(summary));
    expect(renderPlanMarkdown(back, CONTEXT)).toContain(`> **Warning:** ${PROVIDER} would be replaced`);

    // Hundreds of deletions before it: a cut list still keeps the warned resources, first.
    const many = {
      ...FIXTURE,
      resource_changes: [
        ...Array.from({ length: 300 }, (_, index) => ({ address: `aws_cloudwatch_metric_alarm.alarm_${index}`, change: { actions: ['delete'] } })),
        ...FIXTURE.resource_changes,
      ],
    };
    const big = summarizePlan(many);
    const exported = planExportedVariables(big, 'c'.repeat(64));
    expect(exported.GANTRY_PLAN_RESOURCES!.length).toBeLessThanOrEqual(MAX_EXPORTED_RESOURCES_CHARS);
    const cut = planSummaryFromExported(exported)!;
    expect(cut.resources.at(-1)?.action).toBe('more');
    expect(cut.resources.slice(0, 2).map((resource) => resource.address)).toEqual([PROVIDER, BOUNDARY]);
    expect(planWarnings(cut)).toEqual(planWarnings(big));
  });

  it('read the resource type from an address, inside modules too', () => {
    expect(resourceType(PROVIDER)).toBe('aws_lambda_capacity_provider');
    expect(resourceType('module.app.aws_lambda_capacity_provider.cp')).toBe('aws_lambda_capacity_provider');
    expect(resourceType('module.env["dev"].module.app.aws_lambda_capacity_provider.cp["x"]')).toBe('aws_lambda_capacity_provider');
    expect(resourceType('data.aws_availability_zones.zones')).toBeUndefined();
    expect(resourceType('aws_instance.a (deposed object 00a1b2c3)')).toBe('aws_instance');
    expect(resourceType('42 more')).toBeUndefined();
  });
});
