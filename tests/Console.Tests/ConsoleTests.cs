using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentFleet.Console.Tests.Fixtures;
using Microsoft.Playwright;

namespace AgentFleet.Console.Tests;

/// <summary>
/// The web console in Debian's Chromium, through the gateway, over the real services and the real Claude Code CLI:
/// what a person signing in with a key can see and do, and what they cannot.
/// </summary>
public sealed class ConsoleTests(ConsoleFixture fleet)
{
    // The simulated model asks for this Bash command, which the approval gate rates high (a recursive remove).
    private const string CleanUpPrompt = "Clean up {{dir}}.\n#sim tool Bash {\"command\": \"mkdir -p {{dir}} && rm -rf {{dir}} && echo removed\", \"description\": \"remove {{dir}}\"}";

    [Fact]
    public async Task ABadKeyIsRefusedWithAMessage()
    {
        var page = await fleet.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, "fleet_not-a-key-anyone-was-given");
        await Assertions.Expect(page.GetByTestId("signin-error")).ToContainTextAsync("not valid");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"^{Regex.Escape(fleet.Url)}/signin"));
        // Nothing behind the sign-in opens without a cookie.
        await page.GotoAsync("/approvals");
        // ... on the gateway's address: the console's own never shows.
        await Assertions.Expect(page).ToHaveURLAsync($"{fleet.Url}/signin?ReturnUrl=%2Fapprovals");
        await ConsoleFixture.ScreenshotAsync(page, "signin");
    }

    [Fact]
    public async Task AnOperatorStartsASessionFromATemplateApprovesItsBashUseInlineAndSeesItComplete()
    {
        var ct = TestContext.Current.CancellationToken;
        var owner = $"console-{Guid.NewGuid():N}";
        var key = await fleet.CreateKeyAsync("operator", owner, ct);
        var templateName = $"clean up {Guid.NewGuid():N}"[..20];
        using (var api = fleet.Api(key))
        {
            using var created = await api.PostAsJsonAsync("/v1/templates", new
            {
                name = templateName,
                description = "Removes a directory",
                category = "maintenance",
                agent = "claude",
                prompt = CleanUpPrompt,
                variablesSchema = JsonNode.Parse("""{"type": "object", "properties": {"dir": {"type": "string", "pattern": "^[a-z]+$", "description": "a directory name"}}, "required": ["dir"]}"""),
            }, ct);
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(ct));
        }
        var page = await fleet.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, key);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("who")).ToContainTextAsync(owner);

        await page.GetByRole(AriaRole.Link, new() { Name = "New session" }).ClickAsync();
        await page.GetByLabel("Template").SelectOptionAsync(new SelectOptionValue { Label = templateName });
        // The form comes from the template's schema, and checks it before sending.
        await page.GetByLabel("dir *").FillAsync("Not Valid!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("field-error")).ToContainTextAsync("must match");
        await ConsoleFixture.ScreenshotAsync(page, "new-session");
        await page.GetByLabel("dir *").FillAsync("build");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/sessions/[0-9a-f-]{36}$"));

        // The output appears as it comes, and the risky use waits inline with its exact command.
        var approval = page.GetByTestId("approval");
        await Assertions.Expect(approval).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(page.GetByTestId("approval-command")).ToContainTextAsync("rm -rf build");
        await Assertions.Expect(approval).ToContainTextAsync("high risk");
        await Assertions.Expect(page.GetByTestId("transcript")).ToContainTextAsync("Bash");
        await Assertions.Expect(page.Locator(".badge.status-waiting_approval")).ToBeVisibleAsync();
        await ConsoleFixture.ScreenshotAsync(page, "session-approval");
        await approval.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Assertions.Expect(page.Locator(".badge.status-completed")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(page.GetByTestId("approval")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("transcript")).ToContainTextAsync("removed");
        await ConsoleFixture.ScreenshotAsync(page, "session");

        // The grid lists it, completed.
        await page.GetByRole(AriaRole.Link, new() { Name = "Sessions" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("sessions")).ToContainTextAsync("Clean up build");
        await ConsoleFixture.ScreenshotAsync(page, "sessions");
        // Every other page shows what it is for.
        foreach (var (link, shows, text) in new[]
                 {
                     ("Approvals", page.GetByTestId("no-approvals"), "Nothing is waiting"),
                     ("Templates", page.GetByTestId("templates"), templateName),
                     ("Usage", page.GetByTestId("usage-total"), "input"),
                     ("Status", page.GetByTestId("workers"), "busy"),
                     ("ComfyUI", page.GetByTestId("workflows"), "Status"),
                 })
        {
            await page.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = link, Level = 1 })).ToBeVisibleAsync();
            await Assertions.Expect(shows).ToContainTextAsync(text);
            await ConsoleFixture.ScreenshotAsync(page, link.ToLowerInvariant());
        }
    }

    [Fact]
    public async Task AViewerSeesNoWriteButtonsAndAnotherOperatorsSessionIsNotReachable()
    {
        var ct = TestContext.Current.CancellationToken;
        var owner = $"console-{Guid.NewGuid():N}";
        var operatorKey = await fleet.CreateKeyAsync("operator", owner, ct);
        var viewerKey = await fleet.CreateKeyAsync("viewer", owner, ct);
        var strangerKey = await fleet.CreateKeyAsync("operator", $"stranger-{Guid.NewGuid():N}", ct);
        string sessionId;
        using (var api = fleet.Api(operatorKey))
        {
            using var started = await api.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = new[] { "sleep", "300" }, task = "wait a while" }, ct);
            sessionId = (await started.Content.ReadFromJsonAsync<JsonObject>(ct))!["sessionId"]!.GetValue<string>();
        }

        var viewer = await fleet.NewPageAsync();
        await ConsoleFixture.SignInAsync(viewer, viewerKey);
        await Assertions.Expect(viewer.GetByTestId("sessions")).ToContainTextAsync("wait a while");
        await Assertions.Expect(viewer.GetByRole(AriaRole.Link, new() { Name = "New session" })).ToHaveCountAsync(0);
        await viewer.GotoAsync($"/sessions/{sessionId}");
        await Assertions.Expect(viewer.GetByRole(AriaRole.Heading, new() { Name = "wait a while" })).ToBeVisibleAsync();
        await Assertions.Expect(viewer.GetByTestId("controls")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToHaveCountAsync(0);

        var stranger = await fleet.NewPageAsync();
        await ConsoleFixture.SignInAsync(stranger, strangerKey);
        await stranger.GotoAsync($"/sessions/{sessionId}");
        await Assertions.Expect(stranger.GetByRole(AriaRole.Alert)).ToContainTextAsync("No such session");
        await Assertions.Expect(stranger.GetByText("wait a while")).ToHaveCountAsync(0);

        // The owner can stop it from the page.
        var owning = await fleet.NewPageAsync();
        await ConsoleFixture.SignInAsync(owning, operatorKey);
        await owning.GotoAsync($"/sessions/{sessionId}");
        await owning.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Assertions.Expect(owning.Locator(".badge.status-stopped")).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task ItIsUsableAtPhoneWidthAndByKeyboard()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await fleet.CreateKeyAsync("operator", $"console-{Guid.NewGuid():N}", ct);
        var page = await fleet.NewPageAsync(390, 844);
        await ConsoleFixture.SignInAsync(page, key);
        await Assertions.Expect(page.GetByTestId("sessions")).ToBeVisibleAsync();
        // Nothing runs off the side of a phone's screen.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page is wider than the screen");
        await ConsoleFixture.ScreenshotAsync(page, "sessions-phone");
        // A page's heading takes focus when it opens; the next Tab reaches its first control, and shows where focus is.
        Assert.Equal("H1", await page.EvaluateAsync<string>("document.activeElement.tagName"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("New session", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        Assert.NotEqual("none", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        // Shift+Tab back past the header's links reaches the skip link first of all, and Enter follows it.
        for (var i = 0; i < 12 && await page.EvaluateAsync<string>("document.activeElement.textContent") != "Skip to content"; i++)
        {
            await page.Keyboard.PressAsync("Shift+Tab");
        }
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#main$"));
    }

    [Fact]
    public async Task AWorkflowsOutputImageShowsAndAConsoleRestartKeepsThePersonSignedIn()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await fleet.CreateKeyAsync("operator", $"console-{Guid.NewGuid():N}", ct);
        var page = await fleet.NewPageAsync();
        await ConsoleFixture.SignInAsync(page, key);
        await page.GetByRole(AriaRole.Link, new() { Name = "ComfyUI", Exact = true }).ClickAsync();
        await page.GetByLabel("Workflow (API format JSON, from ComfyUI's \"Save (API)\")").FillAsync(AgentFleet.ComfyBridge.Tests.Fixtures.Workflows.TextToImage().ToJsonString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        // The job finishes on the ComfyUI test server, and its image is shown, fetched with the person's key.
        var image = page.Locator("img.output");
        await Assertions.Expect(image).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator(".badge.status-completed")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.output'); return i && i.complete && i.naturalWidth > 0; }",
            null, new() { Timeout = 15_000 });
        await ConsoleFixture.ScreenshotAsync(page, "comfyui-output");

        // The cookie's keys are in Redis: a console that restarts still reads it.
        await fleet.RestartConsoleAsync();
        await page.GotoAsync("/approvals");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Approvals", Level = 1 })).ToBeVisibleAsync();
        // Signing out ends it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync($"{fleet.Url}/signin");
        await page.GotoAsync("/approvals");
        await Assertions.Expect(page).ToHaveURLAsync($"{fleet.Url}/signin?ReturnUrl=%2Fapprovals");
    }
}
