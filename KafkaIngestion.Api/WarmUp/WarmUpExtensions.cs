namespace KafkaIngestion.Api.WarmUp;

internal static class WarmUpExtensions
{
    /// <summary>The warm-up before readiness (section <c>WarmUp</c>), and the health check that waits for it.</summary>
    public static IHostApplicationBuilder AddStartupWarmUp(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WarmUpOptions>()
            .BindConfiguration(WarmUpOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<WarmUpState>();
        builder.Services.AddHostedService<StartupWarmUp>();
        builder.Services.AddHealthChecks().AddCheck<WarmUpHealthCheck>("warm-up", tags: ["ready"]);
        return builder;
    }
}
