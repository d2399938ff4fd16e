@echo off
rem 年报收集（nianbao）离线安装：装在您自己的文件夹中，不需要管理员权限；只用本安装包中的文件，不需要网络。
rem 打包时本文件转为 GBK 编码、CRLF 换行（中文 Windows 的命令提示符这样读批处理文件）；命令本身只用英文字母。
setlocal
title 安装年报收集
set "NIANBAO_SETUP=%~dp0setup\install.py"
if not exist "%NIANBAO_SETUP%" goto not_unpacked
call :find_python
if errorlevel 1 goto no_python
%NIANBAO_PYTHON% "%NIANBAO_SETUP%" %*
set "NIANBAO_CODE=%ERRORLEVEL%"
echo.
pause
exit /b %NIANBAO_CODE%

:not_unpacked
echo 请先把压缩包解压：右键点压缩包，选“全部解压缩”，再双击解压出来的文件夹中的“安装.bat”。
echo.
pause
exit /b 1

:no_python
echo 这台电脑上没有找到 Python（需要 @PYTHONS_SHOWN@ 中的一个）。
echo 请先安装 Python：在 python.org 下载 Windows installer 64-bit，安装时勾选“Add python.exe to PATH”，
echo 取消勾选“Use admin privileges when installing py.exe”（这样不需要管理员），装好后再双击“安装.bat”。
echo 详见“使用说明.txt”。
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
