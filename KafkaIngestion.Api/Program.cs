using KafkaIngestion.Api;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDefaults();
builder.AddIngestion();
builder.AddWebConsole();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapApiDocs();
app.UseWebConsolePage();
app.MapApiEndpoints();
app.MapDefaultEndpoints();

app.Run();
