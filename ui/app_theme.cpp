#include "ui/app_theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace svgen::ui {

namespace {

QPalette darkPalette() {
  const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xdf, 0xe1, 0xe5);
  const QColor accent(0x4c, 0x8d, 0xf6), disabled(0x7a, 0x7d, 0x84);
  QPalette p;
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, base);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::PlaceholderText, disabled);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, QColor(0x36, 0x39, 0x3f));
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
  p.setColor(QPalette::Link, accent);
  p.setColor(QPalette::Highlight, accent);
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Light, QColor(0x45, 0x48, 0x4f));
  p.setColor(QPalette::Midlight, QColor(0x3a, 0x3d, 0x43));
  p.setColor(QPalette::Mid, QColor(0x25, 0x26, 0x2a));
  p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1c));
  p.setColor(QPalette::Shadow, Qt::black);
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
    p.setColor(QPalette::Disabled, role, disabled);
  p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x44, 0x47, 0x4e));
  return p;
}

}  // namespace

void applyStudioTheme(QApplication& app, bool light) {
  app.setStyle(QStyleFactory::create("Fusion"));
  app.setPalette(light ? app.style()->standardPalette() : darkPalette());
}

}  // namespace svgen::ui
