// Types for the matchers Testing.setupJest() adds (test/setup-cdktf.ts).
export {};

interface TerraformConstructor {
  readonly tfResourceType: string;
}

declare global {
  namespace jest {
    interface Matchers<R> {
      toHaveResource(resource: TerraformConstructor): R;
      toHaveResourceWithProperties(resource: TerraformConstructor, properties: Record<string, unknown>): R;
      toHaveDataSource(dataSource: TerraformConstructor): R;
      toHaveDataSourceWithProperties(dataSource: TerraformConstructor, properties: Record<string, unknown>): R;
      toHaveProvider(provider: TerraformConstructor): R;
      toHaveProviderWithProperties(provider: TerraformConstructor, properties: Record<string, unknown>): R;
      toBeValidTerraform(): R;
      toPlanSuccessfully(): R;
    }
  }
}
