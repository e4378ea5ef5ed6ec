using Gatehouse.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatehouse();

var app = builder.Build();
await app.InitializeGatehouseAsync();
app.UseGatehouse();
app.MapGatehouseEndpoints();
await app.RunAsync();

/// <summary>The entry point, public so tests can host it in memory.</summary>
public partial class Program;
