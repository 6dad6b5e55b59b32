// svgen-studio: the desktop front end. Parses, wires, runs; the work is in ui/ and core/.
#include "core/common/process_tuning.h"
#include "ui/app_theme.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/signal_quit.h"
#include "ui/studio_settings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

int main(int argc, char** argv) {
  svgen::tuneProcess(argc, argv);
  // The icons are compiled into the static svgen_ui library; without this call the linker may
  // leave their registration out.
  Q_INIT_RESOURCE(studio);
  QApplication app(argc, argv);
  QApplication::setOrganizationName(svgen::ui::kOrganisation);
  QApplication::setApplicationName(svgen::ui::kApplication);
  QApplication::setApplicationVersion(SVGEN_VERSION);
  QApplication::setDesktopFileName("io.github.svgen.studio");
  QApplication::setWindowIcon(QIcon(":/icons/svgen.svg"));

  QCommandLineParser cli;
  cli.setApplicationDescription("Generate videos with sparse-attention video diffusion");
  cli.addHelpOption();
  cli.addVersionOption();
  const QCommandLineOption light("light", "Use the light theme.");
  const QCommandLineOption prompt("prompt", "Start with this prompt.", "text");
  const QCommandLineOption generate("generate", "Start generating as soon as the window opens.");
  cli.addOptions({light, prompt, generate});
  cli.process(app);

  const bool lightTheme =
      cli.isSet(light) ||
      svgen::ui::openStudioSettings()->value(svgen::ui::keys::kLightTheme).toBool();
  svgen::ui::applyStudioTheme(app, lightTheme);

  svgen::ui::MainWindow window;
  if (cli.isSet(prompt)) {
    svgen::GenerationRequest request = window.promptPanel()->request();
    request.prompt = cli.value(prompt).toStdString();
    window.promptPanel()->setRequest(request);
  }
  svgen::ui::quitOnSignals(&window, [&window] { window.quitWithoutAsking(); });
  window.show();
  if (cli.isSet(generate)) QTimer::singleShot(0, &window, &svgen::ui::MainWindow::generate);
  return app.exec();
}
