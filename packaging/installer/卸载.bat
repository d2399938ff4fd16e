@echo off
rem 卸载年报收集：删除程序和“年报收集”图标；工作区（名单、收到的表格、记录）不删除。
rem 打包时本文件转为 GBK 编码、CRLF 换行；命令本身只用英文字母。
setlocal
title 卸载年报收集
set "NIANBAO_SETUP=%~dp0setup\install.py"
if not exist "%NIANBAO_SETUP%" goto not_unpacked
call :find_python
if errorlevel 1 goto no_python
rem 先离开本文件夹：卸载要删除的可能正是它。最后几步写在同一行，本文件被删除后也能执行完。
cd /d "%TEMP%"
%NIANBAO_PYTHON% "%NIANBAO_SETUP%" --uninstall %* & echo. & pause & exit /b

:not_unpacked
echo 找不到卸载程序（setup 文件夹）。可以直接删除文件夹 %LOCALAPPDATA%\nianbao 和桌面上的“年报收集”图标。
echo.
pause
exit /b 1

:no_python
echo 没有找到 Python，无法自动卸载。可以直接删除文件夹 %LOCALAPPDATA%\nianbao 和桌面上的“年报收集”图标。
echo.
pause
exit /b 1

:find_python
for %%v in (@PYTHONS_NEWEST_FIRST@) do (
    py -%%v -c "" >nul 2>&1 && (set "NIANBAO_PYTHON=py -%%v" & exit /b 0)
)
rem 没有这些版本时，用 3.7 以上的任何一个，由安装程序说明怎么办。
set "NIANBAO_NEW_ENOUGH=import sys; sys.exit(sys.version_info < (3, 7))"
python -c "%NIANBAO_NEW_ENOUGH%" >nul 2>&1 && (set "NIANBAO_PYTHON=python" & exit /b 0)
py -3 -c "%NIANBAO_NEW_ENOUGH%" >nul 2>&1 && (set "NIANBAO_PYTHON=py -3" & exit /b 0)
exit /b 1
