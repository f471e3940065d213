using Microsoft.Extensions.Options;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// Validates the configured <see cref="LoadGenOptions"/> at start with the same rules, and the
/// same messages, as each run's options (<see cref="LoadGenOptions.Problems"/>: the data
/// annotations and the rules across options). ValidateDataAnnotations would check the same
/// things, but wraps every message in "DataAnnotation validation failed for …": the terminal
/// and the AppHost's log show the messages as they are.
/// </summary>
internal sealed class LoadGenOptionsValidator : IValidateOptions<LoadGenOptions>
{
    public ValidateOptionsResult Validate(string? name, LoadGenOptions options) =>
        options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems.SelectMany(p => p.Value))
            : ValidateOptionsResult.Success;
}
