; Inno Setup 6 script: the per-user Windows installer of KIOPS Desktop.
;
;   iscc /DAppVersion=0.1.0 /DDistDir=..\..\dist packaging\windows\kiops-desktop.iss
;
; Input: the PyInstaller one-folder build in DistDir\kiops-desktop (packaging/kiops-desktop.spec).
; Output: DistDir\KIOPS-Desktop-<version>-setup.exe.
;
; Per user: installs under %LOCALAPPDATA%\Programs without administrator rights (an operator's
; laptop may not grant them), with a Start menu entry and an uninstaller in Settings > Apps.
;
; Signing hook: when the build has a certificate, the workflow defines Sign and a sign tool named
; "kiopssign" on the command line, e.g.
;   iscc /DSign "/Skiopssign=signtool sign /fd sha256 /tr http://timestamp.example /td sha256 /f cert.pfx /p PASSWORD $f" ...
; and Inno Setup signs the setup program and its uninstaller with it. Without Sign nothing is
; signed (Windows SmartScreen then warns on first start). No secret is ever written here.

#ifndef AppVersion
  #define AppVersion GetEnv("KIOPS_VERSION")
#endif
#if AppVersion == ""
  #error Pass the version: iscc /DAppVersion=X.Y.Z (or set KIOPS_VERSION)
#endif
#ifndef DistDir
  #define DistDir "..\..\dist"
#endif
#define AppName "KIOPS Desktop"
#define AppExe "kiops-desktop.exe"

[Setup]
; The AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{6C1E3E0B-5B7A-4C38-9B0E-2F4D8A61C7D2}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=KIOPS
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#DistDir}
OutputBaseFilename=KIOPS-Desktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\kiops-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
#ifdef Sign
SignTool=kiopssign
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build: both executables, the bundled kubectl.exe and _internal\.
Source: "{#DistDir}\kiops-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle whole: stale modules of an older version must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Roll back a bad release and prove it worked"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
