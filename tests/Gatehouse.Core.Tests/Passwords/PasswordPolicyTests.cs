using Gatehouse.Core.Errors;
using Gatehouse.Core.Passwords;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gatehouse.Core.Tests.Passwords;

public sealed class PasswordPolicyTests
{
    private const string Email = "Alice.Smith@example.com";

    private static PasswordPolicy CreatePolicy(Action<PasswordOptions>? configure = null)
    {
        var options = new PasswordOptions();
        configure?.Invoke(options);
        return new PasswordPolicy(Options.Create(options));
    }

    [Theory]
    [InlineData("violet kettle on a rainy pier")]
    [InlineData("kettle-violet-9")]
    [InlineData("Grüße aus Köln")]
    public void A_good_password_passes(string password)
    {
        Assert.Null(CreatePolicy().Validate(password, Email));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_missing_password_is_refused(string? password)
    {
        AssertRefused(CreatePolicy().Validate(password, Email));
    }

    [Theory]
    [InlineData("k7#Lq")]
    [InlineData("k7#Lq9!")]
    public void A_short_password_is_refused(string password)
    {
        var failure = AssertRefused(CreatePolicy().Validate(password, Email));
        Assert.Contains("at least 8", failure.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_minimum_length_is_configurable()
    {
        Assert.NotNull(CreatePolicy(o => o.MinLength = 12).Validate("kettle-viol", Email));
        Assert.Null(CreatePolicy(o => o.MinLength = 12).Validate("kettle-viole", Email));
    }

    [Fact]
    public void A_password_over_the_maximum_length_is_refused()
    {
        var policy = CreatePolicy();

        Assert.Null(policy.Validate(new string('k', 1024), Email));
        var failure = AssertRefused(policy.Validate(new string('k', 1025), Email));
        Assert.Contains("at most 1024", failure.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Length_counts_characters_not_utf16_units()
    {
        var policy = CreatePolicy();

        // Each emoji is one Unicode scalar value but two UTF-16 code units.
        Assert.Equal(8, "🐉🐉🐉🐉".Length);
        AssertRefused(policy.Validate("🐉🐉🐉🐉", Email));
        Assert.Null(policy.Validate("🐉🐉🐉🐉🐉🐉🐉🐉", Email));
        Assert.Null(policy.Validate(string.Concat(Enumerable.Repeat("🐉", 1024)), Email));
        AssertRefused(policy.Validate(string.Concat(Enumerable.Repeat("🐉", 1025)), Email));
    }

    [Theory]
    [InlineData("password123")]
    [InlineData("qwertyuiop")]
    [InlineData("Password123")]
    [InlineData("QWERTYUIOP")]
    [InlineData("iloveyou")]
    public void A_common_password_is_refused(string password)
    {
        var failure = AssertRefused(CreatePolicy().Validate(password, Email));
        Assert.Contains("common", failure.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Common_passwords_pass_when_the_check_is_off()
    {
        Assert.Null(CreatePolicy(o => o.RejectCommonPasswords = false).Validate("password123", Email));
    }

    [Theory]
    [InlineData("alice.smith@example.com")]
    [InlineData("ALICE.SMITH@EXAMPLE.COM")]
    [InlineData("alice.smith")]
    [InlineData("Alice.Smith")]
    public void The_email_address_or_its_local_part_is_refused(string password)
    {
        var failure = AssertRefused(CreatePolicy().Validate(password, Email));
        Assert.Contains("email", failure.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_email_only_the_other_rules_apply()
    {
        var policy = CreatePolicy();

        Assert.Null(policy.Validate("alice.smith", null));
        AssertRefused(policy.Validate("password123", null));
    }

    [Fact]
    public void The_list_is_loaded_and_holds_only_what_the_length_rule_lets_through()
    {
        Assert.Equal(10_000, CommonPasswords.Count);
        Assert.True(CommonPasswords.Contains("password"));
        Assert.False(CommonPasswords.Contains("123456"));
    }

    private static Failure AssertRefused(Failure? failure)
    {
        Assert.NotNull(failure);
        Assert.Equal(GatehouseErrors.ValidationFailed, failure.Error);
        Assert.NotNull(failure.Fields);
        Assert.Equal([failure.Description], failure.Fields["password"]);
        return failure;
    }
}
