/**
 * Types of the @aws-sdk/client-rds modules lambdas/aws/rds-read-client.ts imports by path: the
 * package ships their declarations under dist-types/ beside the dist-es/ code (it has no
 * `exports` map, so the paths resolve as files).
 */
declare module '@aws-sdk/client-rds/dist-es/auth/httpAuthSchemeProvider.js' {
  export * from '@aws-sdk/client-rds/dist-types/auth/httpAuthSchemeProvider';
}
declare module '@aws-sdk/client-rds/dist-es/endpoint/EndpointParameters.js' {
  export * from '@aws-sdk/client-rds/dist-types/endpoint/EndpointParameters';
}
declare module '@aws-sdk/client-rds/dist-es/endpoint/endpointResolver.js' {
  export * from '@aws-sdk/client-rds/dist-types/endpoint/endpointResolver';
}
declare module '@aws-sdk/client-rds/dist-es/runtimeExtensions.js' {
  export * from '@aws-sdk/client-rds/dist-types/runtimeExtensions';
}
