using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// A consumer scenario written once, in an abstract class, and run by a thin test class per store.
/// In a collection whose definition is <see cref="INeedsPostgres"/> it is skipped, visibly, when
/// there is no PostgreSQL (that collection's fixture then starts nothing). xunit 2 has no
/// dynamic skip, and an attribute cannot tell which class inherited the method: the discoverer can.
/// </summary>
[XunitTestCaseDiscoverer("KafkaIngestion.Tests.EndToEnd.StoreFactDiscoverer", "KafkaIngestion.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>Marks a collection definition whose AppHost stores in PostgreSQL.</summary>
public interface INeedsPostgres;

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        testMethod.TestClass.TestCollection.CollectionDefinition is IReflectionTypeInfo { Type: var definition } && definition.IsAssignableTo(typeof(INeedsPostgres))
            ? new PostgresTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)
            : base.CreateTestCase(discoveryOptions, testMethod, factAttribute);
}

/// <summary>
/// A test case that is skipped without PostgreSQL. The reason is decided where the case is
/// initialized, so a case serialized by the runner (e.g. for <c>dotnet test --filter</c>) decides again.
/// </summary>
public sealed class PostgresTestCase : XunitTestCase
{
    // No primary constructor: xunit's deserializer needs the parameterless one, which could not chain to it.
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the deserializer only.", error: true)]
    public PostgresTestCase()
    {
    }

    public PostgresTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => PostgresFactAttribute.Missing ?? base.GetSkipReason(factAttribute);
}
